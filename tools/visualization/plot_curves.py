"""Training curves of several runs side by side, in one PNG.

    python tools/visualization/plot_curves.py RUN [RUN ...] --out FILE.png
        [--labels NAME ...] [--x {epoch,iter}] [--metric accuracy/top1]

A RUN is a work dir, or a config's directory under the reproduction root
(``<work-root>/<config-name>``), which stands for each of its seeds. One
panel per loss term (every training scalar whose key contains ``loss``, the
keys MMEngine sums) and one for the validation metric. On the epoch axis a
training line sits at ``iter / iterations per epoch`` (from the text log),
or at its epoch when the text log is gone. One panel holds the student's own
cross-entropy of every run (``student.loss`` of a distilled run, ``loss`` of
a plain one), and each run keeps its colour in every panel.
"""
import argparse
import math
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')  # files only: no display on training nodes
import matplotlib.pyplot as plt  # noqa: E402

from mmcls_kd.reproduction import (  # noqa: E402
    RunLog, find_runs, ordered_unique, read_run)

Series = Tuple[List[float], List[float]]


def _by_epoch(log: RunLog) -> bool:
    """Epoch-based runs log ``epoch`` on their training lines."""
    return any('epoch' in r for r in log.train)


def train_series(log: RunLog, key: str, x_axis: str) -> Series:
    """(x, value) of a training scalar, x in epochs or iterations."""
    xs, ys = [], []
    for record in log.train:
        if key not in record:
            continue
        if x_axis == 'iter':
            x = float(record['iter'])
        elif log.iters_per_epoch:
            x = record['iter'] / log.iters_per_epoch
        else:
            x = float(record.get('epoch', 0))
        xs.append(x)
        ys.append(float(record[key]))
    return xs, ys


def val_series(log: RunLog, key: str, x_axis: str) -> Series:
    """(x, value) of a validation metric; the step is an epoch for
    epoch-based runs and an iteration otherwise."""
    scale = 1.0
    if x_axis == 'iter' and _by_epoch(log):
        if not log.iters_per_epoch:
            raise ValueError(f'{log.work_dir}: no text log to convert '
                             'epochs to iterations; use --x epoch')
        scale = float(log.iters_per_epoch)
    points = [(r['step'] * scale, float(r[key])) for r in log.val if key in r]
    return [x for x, _ in points], [y for _, y in points]


def expand(runs: Sequence[str]) -> List[str]:
    """Work dirs of the arguments (a config directory gives its seeds)."""
    found: List[str] = []
    for run in runs:
        run = osp.normpath(run)
        dirs = find_runs(osp.dirname(run), osp.basename(run))
        if not dirs:
            raise ValueError(f'{run}: no training logs there')
        found += dirs
    return found


def _label(work_dir: str) -> str:
    parent, name = osp.split(osp.normpath(work_dir))
    return f'{osp.basename(parent)}/{name}' if name.startswith('seed') \
        else name


#: The student's own cross-entropy: MMRazor logs it as ``student.loss``;
#: a run without distillation logs it as its only loss, ``loss``.
STUDENT_CE = 'student.loss'


def panels(logs: Sequence[RunLog],
           metric: str) -> List[Tuple[str, List[Optional[str]]]]:
    """``(title, key of each run)`` of every panel: the total loss, the
    student's cross-entropy (one panel for every run, distilled or not),
    the other loss terms, the validation metric. A run without the scalar
    has None."""
    keys = [
        ordered_unique([k for r in log.train for k in r if 'loss' in k])
        for log in logs
    ]

    def student_ce(run_keys: List[str]) -> Optional[str]:
        if STUDENT_CE in run_keys:
            return STUDENT_CE
        return 'loss' if run_keys == ['loss'] else None

    terms = ordered_unique([
        k for run_keys in keys for k in run_keys
        if k not in ('loss', STUDENT_CE)
    ])
    found = [('loss (total)', ['loss' if 'loss' in k else None for k in keys]),
             ('student cross-entropy', [student_ce(k) for k in keys])]
    found += [(term, [term if term in k else None for k in keys])
              for term in terms]
    found.append((f'val {metric}', [metric] * len(logs)))
    return [(title, run_keys) for title, run_keys in found if any(run_keys)]


def draw(logs: Sequence[RunLog], labels: Sequence[str], x_axis: str,
         metric: str) -> 'plt.Figure':
    """The figure: one panel a scalar, one colour a run in every panel."""
    shown = panels(logs, metric)
    cols = min(3, len(shown))
    rows = math.ceil(len(shown) / cols)
    fig, axes = plt.subplots(rows,
                             cols,
                             figsize=(5 * cols, 3.6 * rows),
                             squeeze=False)
    for index, (title, run_keys) in enumerate(shown):
        ax = axes[index // cols][index % cols]
        for run, (log, label, key) in enumerate(zip(logs, labels, run_keys)):
            if key is None:
                continue
            is_metric = title == f'val {metric}'
            xs, ys = (val_series(log, key, x_axis)
                      if is_metric else train_series(log, key, x_axis))
            if xs:
                ax.plot(xs,
                        ys,
                        marker='.' if is_metric else None,
                        color=f'C{run % 10}',
                        label=label)
        ax.set_title(title)
        ax.set_xlabel('epoch' if x_axis == 'epoch' else 'iteration')
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize='small')
    for index in range(len(shown), rows * cols):
        axes[index // cols][index % cols].set_visible(False)
    fig.tight_layout()
    return fig


def plot(work_dirs: Sequence[str],
         out: str,
         labels: Optional[Sequence[str]] = None,
         x_axis: str = 'epoch',
         metric: str = 'accuracy/top1') -> List[str]:
    """Draw the curves into ``out``; returns the lines the logs left out
    (truncated lines are skipped, not fatal, in a plot)."""
    logs = [read_run(d, strict=False) for d in work_dirs]
    labels = list(labels or [_label(d) for d in work_dirs])
    if len(labels) != len(logs):
        raise ValueError(f'{len(labels)} labels for {len(logs)} runs')
    if x_axis == 'epoch':
        for log in logs:
            if log.train and not _by_epoch(log):
                raise ValueError(f'{log.work_dir} trains by iterations; '
                                 'use --x iter')
    fig = draw(logs, labels, x_axis, metric)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return [note for log in logs for note in log.notes]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Compare training curves of several runs')
    parser.add_argument('runs',
                        nargs='+',
                        help='work dirs, or config dirs holding seed<s>/')
    parser.add_argument('--out', required=True, help='PNG file to write')
    parser.add_argument('--labels', nargs='+', help='one legend name a run')
    parser.add_argument('--x',
                        choices=['epoch', 'iter'],
                        default='epoch',
                        help='x axis')
    parser.add_argument('--metric',
                        default='accuracy/top1',
                        help='validation scalar to draw')
    args = parser.parse_args(argv)
    args.parser = parser
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        notes = plot(expand(args.runs), args.out, args.labels, args.x,
                     args.metric)
    except ValueError as exc:
        args.parser.error(str(exc))
    for note in notes:
        print(f'warning: {note}; skipped', file=sys.stderr)
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
