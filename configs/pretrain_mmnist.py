# Old name of configs/crevnet/crevnet-predict_mmnist-64x64_10to10.py (CrevNet on 2-digit Moving
# MNIST, 10 -> 10, the authors' setting with the prediction recipe), kept so existing commands
# and work dirs keep working.
_base_ = './crevnet/crevnet-predict_mmnist-64x64_10to10.py'
