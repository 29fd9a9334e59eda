"""The SRVP authors' own model code on crevdet's learning-curve protocol: is crevdet's SRVP as
fast a learner as theirs?

    python projects/research/srvp_reference.py --authors-code DIR [--data-root DIR]
        [--minutes 20 | --iters N] [--points 6] [--batch 16] [--test-clips 64] [--samples 5]
        [--nf 64] [--lr 3e-4] [--seed 0] [--label srvp_authors_code]
        [--work-dir work_dirs/srvp_reference]

``DIR`` is a local checkout of edouardelasalles/srvp (crevdet never downloads it): this tool
imports its ``module.srvp`` and ``module.utils``, builds the model of their stochastic Moving
MNIST command line (``--ny 20 --nz 20 --beta_z 2 --nt_cond 5 --nt_inf 5``, every other value
their ``args.py`` default: DCGAN with ``--nf`` filters and BatchNorm, no skip connections,
``res_gain`` 1.41, ``obs_scale`` 1, ``l2_res`` 1, Adam at ``--lr``) and trains it with the loss
of their ``train.py`` (Gaussian NLL + ``beta_y`` KL(y_1) + ``beta_z`` KL(z) + ``l2_res`` ||res||,
summed, divided by the batch size). Data and evaluation are crevdet's, exactly as
``learning_curves.py --data smmnist --n-past 5 --n-future 10`` draws them: the same training
stream, the same first ``--test-clips`` test clips, :class:`VideoPredictionMetric` over
``--samples`` futures each (their prediction: the prior's samples; ``pred_frames`` is the first
sample). Evaluation time is not training time.

Writes ``<work-dir>/<timestamp>/curves.json`` (and ``.csv`` / ``.md`` / ``.png``) in the format of
``learning_curves.py``, so ``learning_curves.py --merge`` puts this curve beside crevdet's (it
refuses other test clips or budgets). Run it pinned to one core like the published curves
(docs/benchmarks/stochastic.md):
``OMP_NUM_THREADS=1 taskset -c 1 python projects/research/srvp_reference.py ...``.
"""
import argparse
import importlib
import importlib.util
import os
import os.path as osp
import sys
import time
import types

from crevdet.apis.budget_training import BudgetError
from crevdet.cli import exit_on

N_PAST, N_FUTURE = 5, 10


def load_authors_modules(root: str):
    """``module.srvp`` and ``module.utils`` of the checkout at ``root``: its ``module`` package is
    loaded from that folder by location (``sys.path`` is left as it is, so nothing else of the
    checkout can shadow an installed module)."""
    folder = osp.join(osp.abspath(root), 'module')
    if not osp.isfile(osp.join(folder, 'srvp.py')):
        raise SystemExit(f'error: --authors-code {root!r} has no module/srvp.py (give a local '
                         'checkout of github.com/edouardelasalles/srvp)')
    init = osp.join(folder, '__init__.py')
    if osp.isfile(init):
        spec = importlib.util.spec_from_file_location('module', init,
                                                      submodule_search_locations=[folder])
        package = importlib.util.module_from_spec(spec)
    else:  # a namespace package, as in their repository
        package = types.ModuleType('module')
        package.__path__ = [folder]
        spec = None
    sys.modules['module'] = package  # their files import each other as module.<name>
    try:
        if spec is not None:
            spec.loader.exec_module(package)
        return (importlib.import_module('module.srvp'), importlib.import_module('module.utils'))
    except ImportError as e:
        raise SystemExit(f'error: cannot import the SRVP code in {root}: {e}')


def build_model(srvp, nf: int):
    # their SMMNIST command line (their repository's README) over their args.py defaults:
    # nx 64, nc 1, nhx 128, ny = nz = 20, no skip connections, nt_inf 5, inference MLP 256 x 3,
    # dynamics 512 x 4
    model = srvp.StochasticLatentResidualVideoPredictor(64, 1, nf, 128, 20, 20, False, N_PAST,
                                                        256, 3, 512, 4, 'dcgan')
    model.init(res_gain=1.41)
    return model


def loss_fn(model, utils, x):
    """Their train.py objective for frames ``x`` (T, B, C, H, W) in [0, 1] (SMMNIST: beta_y 1,
    beta_z 2, l2_res 1, obs_scale 1, one Euler step per frame)."""
    import torch
    import torch.distributions as distrib
    x_, _, _, _, q_y_0_params, q_z_params, p_z_params, res = model(x, x.shape[0], dt=1.0)
    nll = utils.neg_logprob(x_, x, scale=1.0).sum()
    kl_y_0 = distrib.kl_divergence(utils.make_normal_from_raw_params(q_y_0_params),
                                   distrib.Normal(0, 1)).sum()
    kl_z = distrib.kl_divergence(utils.make_normal_from_raw_params(q_z_params),
                                 utils.make_normal_from_raw_params(p_z_params)).sum()
    loss = nll + 1.0 * kl_y_0 + 2.0 * kl_z + 1.0 * torch.norm(res, p=2, dim=2).sum()
    return loss / x.shape[1]


def evaluate(model, clips, samples: int, batch: int = 16) -> dict:
    """crevdet's VideoPredictionMetric on ``clips`` (N, T, C, H, W): ``samples`` futures each,
    from the first N_PAST frames (their test protocol: ``model(x[:nt_cond], nt, dt)``)."""
    import torch

    from crevdet.evaluation.metrics.video_prediction_metric import VideoPredictionMetric
    metric = VideoPredictionMetric(per_step=False)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for i in range(0, len(clips), batch):
            gt = clips[i:i + batch]
            x = gt[:, :N_PAST].transpose(0, 1).contiguous()
            pred = torch.stack([model(x, N_PAST + N_FUTURE, dt=1.0)[0][N_PAST:].transpose(0, 1)
                                for _ in range(samples)], 1).clamp(0, 1)  # (B, S, F, C, H, W)
            metric.process(None, [dict(pred_frames=p[0], pred_samples=p, gt_frames=g[N_PAST:],
                                       last_observed=g[N_PAST - 1]) for p, g in zip(pred, gt)])
    model.train(was_training)
    return metric.compute_metrics(metric.results)


@exit_on(BudgetError)  # a bad --data / --data-root: error: <why>
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--authors-code', required=True,
                        help='a local checkout of edouardelasalles/srvp')
    parser.add_argument('--data-root', help='MNIST idx files (as learning_curves.py)')
    budget = parser.add_mutually_exclusive_group(required=True)
    budget.add_argument('--minutes', type=float, help='training wall-clock minutes')
    budget.add_argument('--iters', type=int, help='training iterations')
    parser.add_argument('--points', type=int, default=6,
                        help='evaluation points over the budget, start and end included')
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--test-clips', type=int, default=64)
    parser.add_argument('--samples', type=int, default=5)
    parser.add_argument('--nf', type=int, default=64, help='DCGAN filters (theirs: 64)')
    parser.add_argument('--lr', type=float, default=3e-4, help='Adam (theirs: 3e-4)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--label', default='srvp_authors_code')
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'srvp_reference'))
    args = parser.parse_args(argv)
    if (args.minutes is not None and args.minutes <= 0) or (args.iters is not None
                                                            and args.iters < 1):
        raise SystemExit('error: the budget (--minutes / --iters) must be positive')
    if args.points < 2 or min(args.batch, args.test_clips, args.samples, args.nf) < 1:
        raise SystemExit('error: --points must be >= 2 and --batch, --test-clips, --samples, '
                         '--nf >= 1')
    srvp, utils = load_authors_modules(args.authors_code)
    import torch
    from mmengine.logging import MMLogger
    from mmengine.runner import Runner
    from tqdm import tqdm

    from crevdet.apis.budget_training import (data_args, data_config, first_test_clips,
                                              unit_frames)
    from crevdet.utils import register_all_modules
    from crevdet.visualization.learning_curves import write_outputs
    register_all_modules(init_default_scope=True)
    # the metric logs its whole table at INFO on the current logger: keep the progress bar clean
    MMLogger.get_instance('srvp_reference', log_level='WARNING')
    train_cfg, test_cfg, _, note = data_config(data_args('smmnist', args.data_root, N_PAST,
                                                         N_FUTURE, args.test_clips, args.batch))
    clips = first_test_clips(test_cfg, args.test_clips)  # (N, T, C, H, W) in [0, 1]
    loader = Runner.build_dataloader(train_cfg.to_dict(), seed=args.seed)
    torch.manual_seed(args.seed)
    model = build_model(srvp, args.nf)
    optim = torch.optim.Adam(model.parameters(), lr=args.lr)

    total = args.minutes * 60 if args.minutes else args.iters
    marks = [total * k / (args.points - 1) for k in range(1, args.points)]
    out_dir = osp.join(args.work_dir, time.strftime('%Y%m%d_%H%M%S'))
    os.makedirs(out_dir, exist_ok=False)
    rows, it, eval_s = [], 0, 0.0

    def point(train_s):
        t0 = time.perf_counter()
        res = evaluate(model, clips, args.samples)
        seconds = time.perf_counter() - t0
        rows.append(dict(model=args.label, config=osp.abspath(args.authors_code),
                         samples=args.samples, iter=it, train_minutes=round(train_s / 60, 4),
                         dataset='test', eval_seconds=round(seconds, 2), **res))
        return seconds

    point(0.0)
    bar = tqdm(total=round(total), desc=args.label, unit='s' if args.minutes else 'it',
               file=sys.stderr, dynamic_ncols=True)
    model.train()
    start = time.perf_counter()  # training time: data loading included, evaluations not
    while marks:
        for batch in loader:
            x = unit_frames(torch.stack(batch['inputs']))  # pseudo_collate: list of (T, C, H, W)
            x = x.transpose(0, 1).contiguous()  # (T, B, C, H, W) in [0, 1]
            optim.zero_grad()
            loss = loss_fn(model, utils, x)
            loss.backward()
            optim.step()
            train_s = time.perf_counter() - start - eval_s
            it += 1
            done = train_s if args.minutes else it
            bar.update(min(round(total), round(done)) - bar.n)
            bar.set_postfix(it=it, loss=f'{float(loss.detach()):.1f}')
            if done >= marks[0]:
                marks.pop(0)
                eval_s += point(train_s)
                if not marks:
                    break
    bar.close()
    budget = f'{args.iters} iterations' if args.iters else f'{args.minutes:g} min'
    header = (f'**smmnist** {N_PAST} -> {N_FUTURE}, the SRVP authors\' code, budget {budget}, '
              f'batch {args.batch}, {len(clips)} test clips' + (f' ({note})' if note else ''))
    cmd = 'python projects/research/srvp_reference.py ' + ' '.join(
        argv if argv is not None else sys.argv[1:])
    write_outputs(out_dir, rows, [args.label], header, cmd,
                  dict(data='smmnist', budget=budget, note=note))
    return out_dir


if __name__ == '__main__':
    main()
