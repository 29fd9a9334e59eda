from .base_predictor import BaseVideoPredictor
from .convlstm_seq2seq import ConvLSTMSeq2Seq
from .crevnet import CrevNet
from .pred_rnn import PredRNN
from .srvp import SRVP
from .stacked_conv_lstm import StackedConvLSTM
from .stacked_conv_rnn import StackedConvRNN
from .unet_predictor import UNetVideoPredictor
from .vqvae_video import VideoVQVAE, VQVAEVideoPredictor

__all__ = ['BaseVideoPredictor', 'ConvLSTMSeq2Seq', 'CrevNet', 'PredRNN', 'SRVP', 'StackedConvLSTM',
           'StackedConvRNN', 'UNetVideoPredictor', 'VideoVQVAE',
           'VQVAEVideoPredictor']
