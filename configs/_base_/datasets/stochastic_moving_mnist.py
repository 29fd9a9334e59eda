# Stochastic Moving MNIST (SVG / SRVP benchmark): 2 digits, 64x64, a digit leaves a wall in a
# random new direction. 5 observed -> 10 predicted frames.
_base_ = './moving_mnist.py'
seq_len = 15
train_dataloader = dict(dataset=dict(stochastic=True, seq_len=seq_len))
val_dataloader = dict(dataset=dict(stochastic=True, seq_len=seq_len))
test_dataloader = val_dataloader
