"""PredRNN (Wang et al. 2017): a stacked ST-LSTM predictor."""
from crevdet.registry import MODELS
from .stacked_conv_rnn import StackedConvRNN


@MODELS.register_module()
class PredRNN(StackedConvRNN):
    """:class:`StackedConvRNN` with ST-LSTM cells and zig-zag memory (PredRNN)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cell='stlstm', **kwargs)
