"""Training runs on disk: where they live, whether they finished, what they
logged.

Layout: ``<work-root>/<config-name>/seed<s>/`` is one run (a work dir).
MMEngine writes, per training process, ``<work_dir>/<timestamp>/`` with
``vis_data/scalars.json`` (one JSON object a line) and ``<timestamp>.log``
(the text log); a resumed run adds a second timestamp directory. Training
lines carry ``iter``; validation lines do not, and their ``step`` is the
epoch (epoch-based schedules) or the iteration.
"""
import glob
import json
import os
import os.path as osp
import re
import statistics
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

#: A file a user may put in a work dir to mark it finished when the final
#: checkpoint has been deleted to save space.
FINISHED_MARKER = 'finished'

_SEED_DIR = re.compile(r'^seed(\d+)$')
_TRAIN_PROGRESS = re.compile(r'Epoch\(train\)\s*\[\s*\d+\]\[\s*\d+/(\d+)\]')
_GPU_NAME = re.compile(r'^\s*GPU [\d,]+: (.+?)\s*$')
_GPU_NUMBER = re.compile(r'^\s*GPU number: (\d+)')


class LogError(ValueError):
    """A log that cannot be trusted (truncated or not JSON lines)."""


@dataclass(frozen=True)
class Schedule:
    """What a config's training loop and optimizer say about a run."""

    by_epoch: bool
    length: int  # max_epochs, or max_iters when not by_epoch
    accumulative_counts: int = 1
    base_batch_size: Optional[int] = None

    @property
    def final_checkpoint(self) -> str:
        """The checkpoint MMEngine saves last (``CheckpointHook`` always
        saves at the end of training)."""
        unit = 'epoch' if self.by_epoch else 'iter'
        return f'{unit}_{self.length}.pth'


def read_schedule(config_path: str) -> Schedule:
    """Read the schedule with MMEngine's ``Config``.

    ``mmcls_kd`` is already imported (this module is part of it), so the
    config's ``custom_imports`` and ``mmpretrain::`` bases resolve.
    """
    from mmengine.config import Config
    cfg = Config.fromfile(config_path)
    train_cfg = cfg.get('train_cfg') or {}
    if 'max_iters' in train_cfg:
        by_epoch, length = False, int(train_cfg['max_iters'])
    elif 'max_epochs' in train_cfg:
        by_epoch, length = True, int(train_cfg['max_epochs'])
    else:
        raise ValueError(f'{config_path}: train_cfg has neither max_epochs '
                         'nor max_iters')
    optim_wrapper = cfg.get('optim_wrapper') or {}
    base = (cfg.get('auto_scale_lr') or {}).get('base_batch_size')
    return Schedule(by_epoch, length,
                    int(optim_wrapper.get('accumulative_counts', 1)),
                    None if base is None else int(base))


def run_schedule(work_dir: str) -> Optional[Schedule]:
    """The schedule the run in ``work_dir`` trained with: that of the config
    MMEngine dumped there (with the run's ``--cfg-options`` applied; the
    newest if there are several), None if there is none."""
    dumped = sorted(glob.glob(osp.join(work_dir, '*.py')), key=osp.getmtime)
    for path in reversed(dumped):
        try:
            return read_schedule(path)
        except Exception:  # not a config, or one without a schedule
            continue
    return None


def seed_dir(work_root: str, config_name: str, seed: int) -> str:
    """The work dir of one seed of one config."""
    return osp.join(work_root, config_name, f'seed{seed}')


def run_state(work_dir: str,
              schedule: Optional[Schedule]) -> Tuple[str, str]:
    """``('finished' | 'interrupted' | 'new', why)`` for a work dir.

    Finished: the final checkpoint or a ``finished`` marker is there (only
    the marker when the schedule is unknown). The final checkpoint is that
    of the run's own schedule (:func:`run_schedule`), which
    ``--cfg-options train_cfg.max_epochs=N`` may have changed from
    ``schedule``, the config file's. Interrupted: MMEngine's
    ``last_checkpoint`` pointer is there, so ``--resume`` continues it. New:
    anything else (a run that died before its first checkpoint starts over).
    """
    schedule = run_schedule(work_dir) or schedule
    if schedule is not None and osp.isfile(
            osp.join(work_dir, schedule.final_checkpoint)):
        return 'finished', schedule.final_checkpoint
    if osp.isfile(osp.join(work_dir, FINISHED_MARKER)):
        return 'finished', f'{FINISHED_MARKER} marker'
    if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        return 'interrupted', 'last_checkpoint'
    return 'new', ''


def _log_dirs(work_dir: str) -> List[str]:
    """Timestamp directories holding scalars, oldest first (the names are
    ``YYYYMMDD_HHMMSS``, so name order is time order)."""
    found = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    return sorted(osp.dirname(osp.dirname(p)) for p in found)


def find_runs(work_root: str, config_name: str) -> List[str]:
    """The runs of a config: its ``seed<s>`` directories in seed order, or
    the config directory itself when it is a work dir without seeds."""
    base = osp.join(work_root, config_name)
    if not osp.isdir(base):
        return []
    seeds = sorted((int(m.group(1)), name) for name in os.listdir(base)
                   for m in [_SEED_DIR.match(name)]
                   if m and osp.isdir(osp.join(base, name)))
    if seeds:
        return [osp.join(base, name) for _, name in seeds]
    return [base] if _log_dirs(base) else []


@dataclass
class RunLog:
    """What the training processes of one work dir logged."""

    work_dir: str
    train: List[dict] = field(default_factory=list)  # '_process': log index
    val: List[dict] = field(default_factory=list)  # one per step, by step
    iters_per_epoch: Optional[int] = None
    hardware: Optional[str] = None  # e.g. '8 x NVIDIA A100-SXM4-80GB'
    notes: List[str] = field(default_factory=list)  # problems let through


def _read_lines(path: str, killed_ok: bool, strict: bool,
                notes: List[str]) -> List[dict]:
    """JSON objects of a scalars file. ``killed_ok``: a bad last line is a
    process killed mid-write that a later process resumed."""
    with open(path, encoding='utf-8') as f:
        lines = [(i, t) for i, t in enumerate(f.read().splitlines(), 1)
                 if t.strip()]
    records = []
    for pos, (lineno, text) in enumerate(lines):
        try:
            record = json.loads(text)
        except json.JSONDecodeError:
            record = None
        if isinstance(record, dict):
            records.append(record)
            continue
        problem = f'{path}: line {lineno} is not a JSON object (truncated?)'
        if (killed_ok and pos == len(lines) - 1) or not strict:
            notes.append(problem)
        else:
            raise LogError(problem)
    return records


def _group(match: Optional[re.Match]) -> Optional[str]:
    return match.group(1) if match else None


def _read_text_log(log_dir: str) -> Tuple[Optional[int], Optional[str]]:
    """Iterations per epoch and hardware from MMEngine's text log."""
    gpu, number, iters = None, None, None
    for path in sorted(glob.glob(osp.join(log_dir, '*.log'))):
        with open(path, encoding='utf-8', errors='replace') as f:
            for line in f:
                gpu = gpu or _group(_GPU_NAME.match(line))
                number = number or _group(_GPU_NUMBER.match(line))
                progress = _TRAIN_PROGRESS.search(line)
                if progress:  # the environment header comes before it
                    iters = int(progress.group(1))
                    break
    hardware = None
    if number is not None:
        hardware = f'{number} x {gpu or "CPU"}'
    return iters, hardware


def read_run(work_dir: str, strict: bool = True) -> RunLog:
    """Merge the logs of every training process of a work dir.

    A validation step logged twice (a resumed run evaluates again) keeps the
    newer values.

    Raises:
        LogError: (``strict`` only) a line that is not a JSON object, except
            the last line of a log that a later process resumed from.
    """
    log = RunLog(work_dir)
    dirs = _log_dirs(work_dir)
    by_step: Dict[float, dict] = {}
    for index, log_dir in enumerate(dirs):
        scalars = osp.join(log_dir, 'vis_data', 'scalars.json')
        for record in _read_lines(scalars, index < len(dirs) - 1, strict,
                                  log.notes):
            if 'iter' in record:
                log.train.append(dict(record, _process=index))
            elif 'step' in record:
                by_step.setdefault(record['step'], {}).update(record)
        iters, hardware = _read_text_log(log_dir)
        log.iters_per_epoch = iters or log.iters_per_epoch
        log.hardware = hardware or log.hardware
    log.val = [by_step[s] for s in sorted(by_step)]
    return log


def saved_test_metrics(work_dir: str) -> Dict[str, float]:
    """Metrics of ``tools/test.py --out`` files saved in the work dir (any
    ``*.json`` holding a ``metrics`` mapping; later names win)."""
    metrics: Dict[str, float] = {}
    for path in sorted(glob.glob(osp.join(work_dir, '*.json'))):
        try:
            with open(path, encoding='utf-8') as f:
                data = json.load(f)
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(data, dict) and isinstance(data.get('metrics'), dict):
            metrics.update({k: float(v) for k, v in data['metrics'].items()
                            if isinstance(v, (int, float))})
    return metrics


def last_and_best(log: RunLog, key: str) -> Optional[Tuple[float, float]]:
    """``(last, best)`` of a validation metric: the value at the greatest
    step, and the greatest value of any step; ``None`` when never logged.
    A metric only a test file holds has last = best = that value."""
    values = [r[key] for r in log.val if isinstance(r.get(key), (int, float))]
    if values:
        return float(values[-1]), float(max(values))
    extra = saved_test_metrics(log.work_dir)
    if key in extra:
        return extra[key], extra[key]
    return None


def minutes_per_epoch(log: RunLog) -> Optional[float]:
    """Mean logged iteration ``time`` (seconds) x iterations per epoch / 60.

    Each logged ``time`` is MMEngine's mean over its logging window (data
    loading included). The first line of each training process is left out
    when the process logged more than one: its window holds the start-up
    (worker spawn, cuDNN autotuning), which the paper's per-epoch time of a
    long run does not. Iterations per epoch come from the text log
    (``Epoch(train) [e][i/N]``), so they count the iterations of the GPU
    count actually used. ``None`` without timing or text log.
    """
    if not log.iters_per_epoch:
        return None
    times: List[float] = []
    for index in sorted({r['_process'] for r in log.train}):
        own = [r['time'] for r in log.train
               if r['_process'] == index and 'time' in r]
        times += own[1:] if len(own) > 1 else own
    if not times:
        return None
    return statistics.fmean(times) * log.iters_per_epoch / 60.0
