# Old name of the prediction recipe, kept so existing configs keep working: use
# `_base_/models/crevnet_predict.py` (video prediction) or `_base_/models/crevnet_detect.py`
# (detection pretraining). The recipe chooser: docs/user_guides/recipes.md.
_base_ = './crevnet_predict.py'
