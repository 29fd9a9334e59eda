from .autoencoder import TwoWayAutoencoder
from .conv_rnn import ConvLSTMCell, STLSTMCell, build_cell
from .coupling import AdditiveCoupling
from .reversible import reversible_chain
from .rpm import RPM, RPMPredictor
from .squeeze import Squeeze, squeeze, unsqueeze
from .stacked_rnn import ConvRNNStack, StackedRNNPredictor
from .unet import UNetDecoder, UNetEncoder
from .video_vqvae import VideoVQVAE

__all__ = ['TwoWayAutoencoder', 'ConvLSTMCell', 'STLSTMCell', 'build_cell', 'AdditiveCoupling',
           'reversible_chain', 'RPM', 'RPMPredictor', 'Squeeze', 'squeeze', 'unsqueeze',
           'ConvRNNStack', 'StackedRNNPredictor', 'UNetDecoder', 'UNetEncoder', 'VideoVQVAE']
