"""The paper's stacked ConvLSTM baseline."""
from crevdet.registry import MODELS
from .stacked_conv_rnn import StackedConvRNN


@MODELS.register_module()
class StackedConvLSTM(StackedConvRNN):
    """:class:`StackedConvRNN` with ConvLSTM cells (the paper's stacked ConvLSTM baseline)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cell='convlstm', **kwargs)
