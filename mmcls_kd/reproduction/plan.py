"""Planning the runs behind a paper table: which config and seed to train,
resume or skip, with which launch command and batch bookkeeping."""
import argparse
import os
import os.path as osp
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

from .metafile import PaperCell, check_table, load_cells, ordered_unique
from .runs import Schedule, read_schedule, run_state, seed_dir

_NAME_BATCH = re.compile(r'_(\d+)xb(\d+)_')
_ACTIONS = {'finished': 'skip', 'interrupted': 'resume', 'new': 'train'}
# Set by this tool; a user override would break the seed/batch bookkeeping.
OWN_OPTIONS = ('randomness.seed', 'optim_wrapper.accumulative_counts')


@dataclass
class PlannedRun:
    """One seed of one config and what to do about it."""

    config_name: str
    seed: int
    work_dir: str
    action: str  # 'skip' | 'resume' | 'train'
    reason: str = ''
    command: List[str] = field(default_factory=list)
    env: Dict[str, str] = field(default_factory=dict)

    def shell(self) -> str:
        """The command as a shell line, environment first."""
        env = [f'{k}={shlex.quote(v)}' for k, v in self.env.items()]
        return ' '.join(env + [shlex.quote(part) for part in self.command])


def _shown(path: str, repo: str) -> str:
    """Paths inside the repository relative to it (commands run there)."""
    rel = osp.relpath(path, repo)
    return path if rel.startswith('..') else rel


def select(cells: Sequence[PaperCell], table: int,
           wanted_cells: Sequence[str],
           wanted_configs: Sequence[str]) -> Dict[str, List[PaperCell]]:
    """Config path -> its chosen cells, in metafile order.

    Raises:
        ValueError: a table the paper does not have, a cell or config the
            metafiles do not list for it (the message lists the valid ones).
    """
    chosen = check_table(table, cells)
    if wanted_cells:
        labels = ordered_unique([c.label for c in chosen])
        for want in wanted_cells:
            if not any(want in (c.label, c.row) for c in chosen):
                raise ValueError(
                    f'Table {table} has no cell {want!r}; valid cells '
                    f'(ROW::COLUMN, or a ROW alone): {"; ".join(labels)}')
        chosen = [c for c in chosen
                  if c.label in wanted_cells or c.row in wanted_cells]
    if wanted_configs:
        names = ordered_unique([c.config_name for c in chosen])
        wanted = [osp.splitext(osp.basename(w))[0] for w in wanted_configs]
        for want in wanted:
            if want not in names:
                raise ValueError(f'no config {want!r} in Table {table} as '
                                 f'selected; valid configs: '
                                 f'{", ".join(names)}')
        chosen = [c for c in chosen if c.config_name in wanted]
    by_config: Dict[str, List[PaperCell]] = {}
    for cell in chosen:
        by_config.setdefault(cell.config, []).append(cell)
    stems: Dict[str, str] = {}
    for path in by_config:
        name = osp.splitext(osp.basename(path))[0]
        if stems.setdefault(name, path) != path:
            raise ValueError(f'{stems[name]} and {path} share the name '
                             f'{name}: their work dirs would collide')
    return by_config


def batch_plan(config_name: str, schedule: Schedule, gpus: int,
               auto_scale_lr: bool) -> Tuple[List[str], List[str], str]:
    """``(cfg options, train.py flags, description)`` that keep the config's
    total batch (or scale the learning rate) on ``gpus`` GPUs.

    Raises:
        ValueError: accumulation asked for and the config's GPU count is
            not a multiple of ``gpus``; or ``--auto-scale-lr`` asked for and
            the config has no ``auto_scale_lr.base_batch_size``.
    """
    match = _NAME_BATCH.search(config_name)
    if match is None:
        return [], [], (f'no {{gpus}}xb{{batch}} in the name: runs as '
                        f'configured on {gpus} GPUs')
    config_gpus, per_gpu = int(match.group(1)), int(match.group(2))
    total = config_gpus * per_gpu
    if gpus == config_gpus:
        return [], [], f'as configured ({gpus} GPUs x {per_gpu})'
    if auto_scale_lr:
        if schedule.base_batch_size is None:
            raise ValueError(f'{config_name}: no auto_scale_lr.'
                             'base_batch_size to scale the learning rate by')
        return [], ['--auto-scale-lr'], (
            f'--auto-scale-lr: total batch {gpus * per_gpu} instead of '
            f'{total}, lr x {gpus * per_gpu}/{schedule.base_batch_size}')
    if gpus > config_gpus or config_gpus % gpus:
        divisors = [d for d in range(1, config_gpus + 1)
                    if config_gpus % d == 0]
        raise ValueError(
            f'{config_name}: the config is for {config_gpus} GPUs, which '
            f'gradient accumulation cannot split over --gpus {gpus}; use '
            f'--gpus {" / ".join(map(str, divisors))} or --auto-scale-lr')
    factor = config_gpus // gpus
    # A config that already accumulates keeps doing so, k times more.
    counts = schedule.accumulative_counts * factor
    return [f'optim_wrapper.accumulative_counts={counts}'], [], (
        f'gradient accumulation x{factor}: {gpus} GPUs x {per_gpu} x '
        f'{factor} = total batch {total}')


def _command(args: argparse.Namespace, config: str, run: PlannedRun,
             flags: List[str], options: List[str]) -> None:
    """Fill in the launch command of a run that is not skipped."""
    train_args = flags + ['--cfg-options'] + options
    if args.launcher == 'slurm':
        run.env = {'GPUS': str(args.gpus),
                   'GPUS_PER_NODE': str(min(args.gpus, args.gpus_per_node))}
        run.command = [
            'bash', 'tools/slurm_train.sh', args.partition,
            f'{run.config_name}_seed{run.seed}',
            _shown(config, args.repo),
            _shown(run.work_dir, args.repo)
        ] + train_args
    else:
        run.command = [
            'bash', 'tools/dist_train.sh',
            _shown(config, args.repo),
            str(args.gpus), '--work-dir',
            _shown(run.work_dir, args.repo)
        ] + train_args


def plan(args: argparse.Namespace) -> Tuple[List[str], List[PlannedRun]]:
    """The report lines and the runs, in table order then seed order, for
    the parsed command line ``args`` of ``tools/reproduce.py`` (commands
    run from ``args.repo``)."""
    by_config = select(load_cells(args.index), args.table, args.cells,
                       args.configs)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    policy = ('learning rate scaled by --auto-scale-lr' if args.auto_scale_lr
              else 'kept by gradient accumulation '
              '(optim_wrapper.accumulative_counts)')
    where = (f'slurm partition {args.partition}: tools/slurm_train.sh'
             if args.launcher == 'slurm' else 'local: tools/dist_train.sh')
    lines = [f'Table {args.table}: {len(by_config)} config(s) x seeds '
             f'{" ".join(map(str, seeds))} on {args.gpus} GPUs ({where}); '
             f'commands run from {args.repo}',
             f'Total batch when fewer GPUs than the config name: {policy}']
    runs: List[PlannedRun] = []
    for config, cells in by_config.items():
        name = cells[0].config_name
        schedule = read_schedule(config)
        options, flags, batch = batch_plan(name, schedule, args.gpus,
                                           args.auto_scale_lr)
        lines += ['', f'{name} ({_shown(config, args.repo)}): {batch}',
                  '  cells: ' + '; '.join(f'{c.label} ({c.metric})'
                                          for c in cells)]
        for seed in seeds:
            work_dir = seed_dir(args.work_root, name, seed)
            state, why = run_state(work_dir, schedule)
            run = PlannedRun(name, seed, work_dir, _ACTIONS[state], why)
            if run.action != 'skip':
                resume = ['--resume'] if run.action == 'resume' else []
                _command(args, config, run, resume + flags,
                         [f'randomness.seed={seed}'] + options +
                         list(args.cfg_options))
            shown = (f'finished ({why}) {_shown(work_dir, args.repo)}'
                     if run.action == 'skip' else run.shell())
            lines.append(f'  seed {seed}  {run.action:<6}  {shown}')
            runs.append(run)
    todo = sum(r.action != 'skip' for r in runs)
    lines += ['', f'{todo} to launch, {len(runs) - todo} finished (skipped)']
    return lines, runs


def launch(runs: Sequence[PlannedRun], keep_going: bool, repo: str) -> int:
    """Run the commands one after the other from ``repo``; the first
    failure stops the rest unless ``keep_going``. Returns the exit
    status."""
    failed = []
    # The launch scripts call `python`: make it this interpreter, so that an
    # environment used without activating it trains with its own packages.
    path = osp.dirname(sys.executable) + os.pathsep + os.environ.get(
        'PATH', '')
    for run in runs:
        if run.action == 'skip':
            continue
        print(f'==> {run.config_name} seed {run.seed}: {run.shell()}',
              flush=True)
        code = subprocess.call(run.command, cwd=repo,
                               env={**os.environ, 'PATH': path, **run.env})
        if code:
            failed.append(f'{run.config_name} seed {run.seed} (exit {code})')
            if not keep_going:
                break
    if failed:
        print('failed: ' + ', '.join(failed), file=sys.stderr)
        return 1
    return 0
