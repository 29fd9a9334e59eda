# Old name of the full-size detection pretraining, kept so existing commands keep working. It
# is now the DETECTION recipe (configs/crevnet/crevnet-detect_kitti-raw-128x416_4to1.py); until
# 2026-12 it was the prediction recipe at 128x416, whose checkpoints the architecture check
# refuses here: for those use `_base_/models/crevnet_predict.py` at this size. Recipe chooser:
# docs/user_guides/recipes.md.
_base_ = './crevnet/crevnet-detect_kitti-raw-128x416_4to1.py'
