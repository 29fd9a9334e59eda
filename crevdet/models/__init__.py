from .backbones import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .dense_heads import *  # noqa: F401,F403
from .feature_extractors import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .predictors import *  # noqa: F401,F403
