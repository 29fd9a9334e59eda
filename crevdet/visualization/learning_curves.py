"""The outputs of a learning-curve run (``tools/analysis_tools/learning_curves.py``,
``srvp_reference.py``): ``curves.csv``, ``curves.png`` (MSE / SSIM / PSNR against training
minutes and iterations, copy-last as a dashed line), ``curves.md`` (the final points as a table)
and ``curves.json`` (what ``learning_curves.py --merge`` reads back). ``rows``: one dict per model
and evaluation point, as :class:`LearningCurveHook` records them plus ``model``."""
import csv
import json
import os.path as osp
from typing import List, Sequence

METRICS = ('mse', 'ssim', 'psnr')
TITLES = dict(mse='MSE per frame (lower is better)', ssim='SSIM (higher is better)',
              psnr='PSNR dB (higher is better)')


def write_rows_csv(path: str, rows: Sequence[dict]) -> None:
    """Write dict rows as a CSV whose columns are the union of their keys, in first-seen order
    (rows of different models or datasets may carry different metrics)."""
    keys: List[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)


def plot(rows, labels, path, title):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    copy_last = {m: rows[0][f'copy_last/{m}'] for m in METRICS}
    for col, m in enumerate(METRICS):
        for row, (x_key, x_label) in enumerate((('train_minutes', 'training minutes'),
                                                ('iter', 'iterations'))):
            ax = axes[row, col]
            for label in labels:
                pts = [r for r in rows if r['model'] == label]
                line, = ax.plot([r[x_key] for r in pts], [r[m] for r in pts], marker='o', ms=3,
                                label=label)
                if f'best/{m}' in pts[0]:  # a stochastic model: its best of S samples too
                    ax.plot([r[x_key] for r in pts], [r[f'best/{m}'] for r in pts], ls=':',
                            marker='^', ms=3, color=line.get_color(),
                            label=f'{label} best of {int(pts[0].get("samples", 0)) or "S"}')
            ax.axhline(copy_last[m], color='k', ls='--', lw=1, label='copy last frame')
            ax.set_xlabel(x_label)
            ax.set_title(TITLES[m], fontsize=10)
            ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def final_table(rows, labels, header):
    """The last point of every model; stochastic models add the best of their S samples
    (deterministic models: '-')."""
    lines = [header, '', '| model | iterations | train min | MSE / frame | SSIM | PSNR | '
             'best-of-S SSIM | best-of-S PSNR | MSE at half budget | SSIM at half budget |',
             '|---|' + '---:|' * 9]
    for label in labels:
        pts = [r for r in rows if r['model'] == label]
        last = pts[-1]
        half = min(pts, key=lambda r: abs(r['train_minutes'] - last['train_minutes'] / 2))
        best = (f"{last['best/ssim']:.4f} | {last['best/psnr']:.2f}" if 'best/ssim' in last
                else '- | -')
        lines.append(f"| {label} | {last['iter']} | {last['train_minutes']:.1f} | "
                     f"{last['mse']:.2f} | {last['ssim']:.4f} | {last['psnr']:.2f} | {best} | "
                     f"{half['mse']:.2f} | {half['ssim']:.4f} |")
    c = rows[0]
    lines.append(f"| copy last frame | - | - | {c['copy_last/mse']:.2f} | "
                 f"{c['copy_last/ssim']:.4f} | {c['copy_last/psnr']:.2f} | - | - | - | - |")
    return '\n'.join(lines)


def write_outputs(out_dir, rows, labels, header, cmd, meta):
    write_rows_csv(osp.join(out_dir, 'curves.csv'), rows)
    plot(rows, labels, osp.join(out_dir, 'curves.png'), header.replace('**', ''))
    table = final_table(rows, labels, header)
    with open(osp.join(out_dir, 'curves.md'), 'w') as f:
        f.write(f'`{cmd.strip()}`\n\n{table}\n')
    with open(osp.join(out_dir, 'curves.json'), 'w') as f:
        json.dump(dict(command=cmd.strip(), header=header, **meta, rows=rows), f, indent=2)
    print(table)
    print(f'written: {out_dir}/curves.csv, curves.png, curves.md, curves.json')
