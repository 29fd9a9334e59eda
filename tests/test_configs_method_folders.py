"""One room per method: the configs of a method live in ``configs/<method>/`` beside its README
and its ``metafile.yml``, every shipped config loads (the former flat names are thin aliases of
the moved ones), and ``model-index.yml`` imports every method's metafile."""
import glob
import os
import os.path as osp
import re

import pytest
from mmengine.config import Config
from mmengine.fileio import load

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(ROOT, 'configs')
# folders of configs/ that are no method: config parts, the comparison set (aliases), the
# ablations and the demo's small models
NOT_METHODS = {'_base_', 'ablations', 'baselines', 'demo'}
RESULTS_HEADER = '| config | data | iterations | metric | value | date | command or link |'

ALL_CONFIGS = sorted(
    osp.relpath(p, ROOT) for p in glob.glob(osp.join(CONFIGS, '**', '*.py'), recursive=True)
    if '_base_' not in osp.relpath(p, CONFIGS).split(os.sep))
METHODS = sorted(d for d in os.listdir(CONFIGS)
                 if osp.isdir(osp.join(CONFIGS, d)) and d not in NOT_METHODS)

# former name -> where its content lives now (the former file is `_base_ = '<new>'`)
ALIASES = {
    'srvp_smmnist.py': 'srvp/srvp_smmnist-64x64_5to10.py',
    'pretrain_srvp_kitti_416x128.py': 'srvp/srvp_kitti-raw-128x416_4to1.py',
    'ssd_srvp_kitti.py': 'srvp/ssd_srvp_kitti-416x128.py',
    'vqvae_smmnist_stage1.py': 'vqvae/vqvae-stage1_smmnist-64x64_4to12.py',
    'vqvae_smmnist_stage2.py': 'vqvae/vqvae-stage2_smmnist-64x64_4to12.py',
    'pretrain_vqvae_kitti_416x128.py': 'vqvae/vqvae-stage1_kitti-raw-128x416_4to4.py',
    'ssd_vqvae_kitti.py': 'vqvae/ssd_vqvae_kitti-416x128.py',
    'pretrain_unet_rpm_kitti_416x128.py': 'unet_rpm/unet-rpm_kitti-raw-128x416_4to1.py',
    'ssd_unet_rpm_kitti.py': 'unet_rpm/ssd_unet-rpm_kitti-416x128.py',
    'pretrain_mmnist.py': 'crevnet/crevnet-predict_mmnist-64x64_10to10.py',
    'pretrain_kitti.py': 'crevnet/crevnet-detect_kitti-raw-128x416_4to1.py',
    'pretrain_kitti_416x128.py': 'crevnet/crevnet-detect_kitti-raw-128x416_4to1.py',
    'ssd_crevnet_kitti.py': 'crevnet/ssd_crevnet-detect_kitti-416x128.py',
    'retinanet_crevnet_kitti.py': 'crevnet/retinanet_crevnet-detect_kitti-416x128.py',
    'faster_rcnn_crevnet_kitti.py': 'crevnet/faster-rcnn_crevnet-detect_kitti-416x128.py',
    'baselines/crevnet_2d_mmnist.py': 'crevnet/crevnet-predict_mmnist-64x64_10to10.py',
    'baselines/crevnet_2d_revbp_mmnist.py': 'crevnet/crevnet-predict-revbp_mmnist-64x64_10to10.py',
    'baselines/crevnet_3d_mmnist.py': 'crevnet/crevnet-predict-3d_mmnist-64x64_10to10.py',
    'baselines/crevnet_2d_paper_init_mmnist.py': 'crevnet/crevnet-paper_mmnist-64x64_10to10.py',
    'baselines/convlstm_seq2seq_mmnist.py': 'convlstm/convlstm-seq2seq_mmnist-64x64_10to10.py',
    'baselines/stacked_convlstm_mmnist.py': 'convlstm/stacked-convlstm_mmnist-64x64_10to10.py',
    'baselines/predrnn_mmnist.py': 'predrnn/predrnn_mmnist-64x64_10to10.py',
    'baselines/unet_rpm_mmnist.py': 'unet_rpm/unet-rpm_mmnist-64x64_10to10.py',
    'baselines/unet_stacked_mmnist.py': 'unet_rpm/unet-stacked_mmnist-64x64_10to10.py',
}


def _backbone_models(node):
    """Every string ``model=`` under a ``backbone`` of a model config (a pretraining config's
    path, relative to the repository)."""
    if isinstance(node, dict):
        backbone = node.get('backbone')
        if isinstance(backbone, dict) and isinstance(backbone.get('model'), str):
            yield backbone['model']
        for v in node.values():
            yield from _backbone_models(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _backbone_models(v)


@pytest.mark.parametrize('rel', ALL_CONFIGS)
def test_every_config_loads_and_names_configs_that_exist(rel):
    cfg = Config.fromfile(osp.join(ROOT, rel))
    assert isinstance(cfg.get('model'), dict), f'{rel} has no model'
    for path in _backbone_models(cfg.model.to_dict()):
        assert osp.isfile(osp.join(ROOT, path)), f'{rel}: backbone model {path} does not exist'


@pytest.mark.parametrize('old,new', sorted(ALIASES.items()))
def test_former_names_are_thin_aliases_of_the_method_folders(old, new):
    text = open(osp.join(CONFIGS, old), encoding='utf-8').read()
    base = os.path.relpath(osp.join(CONFIGS, new), osp.dirname(osp.join(CONFIGS, old)))
    assert re.search(rf"^_base_ = '(\./)?{re.escape(base)}'$", text, flags=re.M), (
        f'configs/{old} is not an alias of configs/{new}')
    assert text.lstrip().startswith('#'), f'configs/{old}: say in a comment what it is an alias of'
    assert Config.fromfile(osp.join(CONFIGS, old)).model.get('type') == \
        Config.fromfile(osp.join(CONFIGS, new)).model.get('type')


def test_the_method_folders_are_the_expected_ones():
    assert {'crevnet', 'srvp', 'vqvae', 'unet_rpm', 'convlstm', 'predrnn'} <= set(METHODS)


@pytest.mark.parametrize('method', METHODS)
def test_each_method_folder_has_its_readme_and_metafile(method):
    folder = osp.join(CONFIGS, method)
    readme = osp.join(folder, 'README.md')
    assert osp.isfile(readme) and osp.isfile(osp.join(folder, 'metafile.yml')), method
    text = open(readme, encoding='utf-8').read()
    assert text.startswith('# ') and '## How to use it' in text and '## Results' in text
    assert text.count(RESULTS_HEADER) == 1, f'{method}/README.md: one table {RESULTS_HEADER}'
    meta = load(osp.join(folder, 'metafile.yml'))
    collections = {c['Name'] for c in meta['Collections']}
    assert collections and all('Paper' in c and 'README' in c for c in meta['Collections'])
    named = set()
    for model in meta['Models']:
        assert model['In Collection'] in collections, model['Name']
        assert osp.isfile(osp.join(ROOT, model['Config'])), f"{method}: no {model['Config']}"
        for result in model.get('Results', []):
            assert {'Task', 'Dataset', 'Metrics'} <= set(result), model['Name']
        named.add(model['Config'])
    own = {osp.relpath(p, ROOT) for p in glob.glob(osp.join(folder, '*.py'))}
    assert own - named == set(), f'configs of {method}/ its metafile does not list: {own - named}'


def test_model_index_imports_every_metafile():
    index = load(osp.join(ROOT, 'model-index.yml'))
    imported = index['Import']
    assert len(imported) == len(set(imported))
    assert set(imported) == {f'configs/{m}/metafile.yml' for m in METHODS}
    # mmengine reads every listed metafile (and its `Models`) when it resolves a crevdet:: name
    for meta in imported:
        models = load(osp.join(ROOT, meta))['Models']
        assert isinstance(models, list) and all('Config' in m for m in models), meta
