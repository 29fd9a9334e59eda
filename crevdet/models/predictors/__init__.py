from .base_predictor import BaseVideoPredictor
from .convlstm_seq2seq import ConvLSTMSeq2Seq
from .crevnet import CrevNet
from .stacked_rnn import PredRNN, StackedConvLSTM, StackedConvRNN
from .unet_predictor import UNetVideoPredictor

__all__ = ['BaseVideoPredictor', 'ConvLSTMSeq2Seq', 'CrevNet', 'PredRNN', 'StackedConvLSTM',
           'StackedConvRNN', 'UNetVideoPredictor']
