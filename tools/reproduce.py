"""Train every config behind one of the paper's tables, seed by seed.

    python tools/reproduce.py TABLE [--cells ROW::COLUMN ...]
        [--configs NAME ...] [--index model-index.yml]
        [--work-root work_dirs/reproduce] [--gpus 8] [--seeds 1]
        [--first-seed 0] [--launcher {local,slurm}] [--partition P]
        [--gpus-per-node 8] [--auto-scale-lr] [--dry-run] [--keep-going]
        [--cfg-options KEY=VALUE ...]

The configs come from the metafiles (``Paper Cells``). Each seed of each
config trains in ``<work-root>/<config-name>/seed<s>`` with
``randomness.seed=<s>``. Runs whose final checkpoint (or a ``finished``
marker) is there are skipped; runs with a ``last_checkpoint`` resume. When
fewer GPUs are used than the config name's ``{gpus}xb{batch}``, the total
batch is kept by gradient accumulation (the per-GPU batch, hence BatchNorm's
statistics, stays as in the paper), or the learning rate is scaled with
``--auto-scale-lr``. Runs are launched one after the other from the
repository root.
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

from mmcls_kd.reproduction.plan import OWN_OPTIONS, launch, plan

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train the configs of one of the paper\'s tables')
    parser.add_argument('table', type=int, help='table number (1-9)')
    parser.add_argument('--cells', nargs='+', default=[],
                        help='only these cells: ROW::COLUMN, or ROW')
    parser.add_argument('--configs', nargs='+', default=[],
                        help='only these configs (names or paths)')
    parser.add_argument('--index', default=osp.join(REPO, 'model-index.yml'),
                        help='model index importing the metafiles')
    parser.add_argument('--work-root', default='work_dirs/reproduce',
                        help='runs go to WORK_ROOT/<config-name>/seed<s>')
    parser.add_argument('--gpus', type=int, default=8,
                        help='GPUs per run (all nodes together)')
    parser.add_argument('--seeds', type=int, default=1,
                        help='number of seeds per config')
    parser.add_argument('--first-seed', type=int, default=0)
    parser.add_argument('--launcher', choices=['local', 'slurm'],
                        default='local')
    parser.add_argument('--partition', help='slurm partition')
    parser.add_argument('--gpus-per-node', type=int, default=8,
                        help='slurm: GPUs of one node')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='on fewer GPUs, scale the learning rate instead '
                        'of accumulating gradients')
    parser.add_argument('--dry-run', action='store_true',
                        help='print the plan and the commands only')
    parser.add_argument('--keep-going', action='store_true',
                        help='launch the remaining runs after a failure')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='more KEY=VALUE overrides for every run (no '
                        'spaces; the schedule is read from the config file)')
    args = parser.parse_args(argv)
    if args.gpus < 1 or args.seeds < 1 or args.gpus_per_node < 1:
        parser.error('--gpus, --seeds and --gpus-per-node must be >= 1')
    if args.launcher == 'slurm' and not args.partition:
        parser.error('--launcher slurm needs --partition')
    for option in args.cfg_options:
        if option.split('=', 1)[0] in OWN_OPTIONS:
            parser.error(f'{option}: set by this tool (use --seeds, '
                         '--first-seed, --gpus)')
    args.work_root = osp.abspath(args.work_root)
    args.repo = REPO
    args.parser = parser
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        lines, runs = plan(args)
    except (ValueError, FileNotFoundError) as exc:
        args.parser.error(str(exc))
    print('\n'.join(lines), flush=True)
    if args.dry_run:
        return 0
    return launch(runs, args.keep_going, REPO)


if __name__ == '__main__':
    sys.exit(main())
