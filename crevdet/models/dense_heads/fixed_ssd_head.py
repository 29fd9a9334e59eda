"""SSD head usable for inference on mmdet 3.3.0.

mmdet 3.3.0's ``SSDHead`` skips ``AnchorHead.__init__`` and never sets ``loss_cls``, but the shared
``BaseDenseHead._predict_by_feat_single`` reads ``self.loss_cls`` -> ``AttributeError: 'SSDHead'
object has no attribute 'loss_cls'`` at test time (upstream issues 11305 / 11780). SSD's loss is
computed in ``loss_by_feat`` with its own cross-entropy + hard negative mining, so ``loss_cls`` is
only consulted for the activation: ``None`` gives the softmax path SSD trains with.
"""
from mmdet.models.dense_heads import SSDHead

from crevdet.registry import MODELS


@MODELS.register_module()
class FixedSSDHead(SSDHead):
    """mmdet's ``SSDHead`` with the 3.3.0 ``predict`` fix, nothing else (it holds nothing
    KITTI-specific); configure anchors for 416x128 inputs with
    ``SSDAnchorGenerator(strides=[(w, h), ...], min_sizes=[...], max_sizes=[...])``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not hasattr(self, 'loss_cls'):
            self.loss_cls = None


# its name in crevdet 0.1: configs written then, and the configs kept in their checkpoints'
# meta, still build (the same class, not a second type)
MODELS.register_module(name='KittiSSDHead', module=FixedSSDHead)
