from .base_predictor import BaseVideoPredictor
from .convlstm_seq2seq import ConvLSTMSeq2Seq
from .crevnet import CrevNet
from .pred_rnn import PredRNN
from .srvp import SRVP
from .stacked_conv_lstm import StackedConvLSTM
from .stacked_conv_rnn import StackedConvRNN
from .stochastic_predictor import StochasticVideoPredictor
from .unet_video_predictor import UNetVideoPredictor
from .vqvae_video import VQVAEVideoPredictor
from ..layers.video_vqvae import VideoVQVAE  # noqa: F401 (its former place)

__all__ = ['BaseVideoPredictor', 'ConvLSTMSeq2Seq', 'CrevNet', 'PredRNN', 'SRVP', 'StackedConvLSTM',
           'StackedConvRNN', 'StochasticVideoPredictor', 'UNetVideoPredictor', 'VideoVQVAE',
           'VQVAEVideoPredictor']
