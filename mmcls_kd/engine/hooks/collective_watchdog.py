"""Say where a distributed rank waits when another rank stops answering."""
import sys
import threading
import time
import traceback
from typing import Optional

from mmengine.dist import get_rank, is_distributed
from mmengine.hooks import Hook
from mmengine.logging import MMLogger

from mmcls_kd.registry import HOOKS

# torch.distributed's collectives, and the autograd call in which DDP
# all-reduces the gradients.
_COLLECTIVES = ('all_reduce', 'all_gather', 'all_gather_object',
                'all_gather_into_tensor', 'broadcast', 'broadcast_object_list',
                'barrier', 'reduce', 'reduce_scatter', 'gather', 'scatter',
                'monitored_barrier', 'run_backward', 'backward')


def waiting_at(frames) -> str:
    """Where the innermost frames of a stack wait: the collective (or DDP's
    gradient all-reduce in ``backward``) and the line of the caller in this
    package or in the training script."""
    stack = traceback.extract_stack(frames)
    collective = next(
        (frame for frame in reversed(stack) if frame.name in _COLLECTIVES),
        None)
    if collective is None:
        last = stack[-1]
        return f'{last.name} ({last.filename}:{last.lineno})'
    what = ('backward (DDP all-reduces the gradients)' if collective.name
            in ('backward',
                'run_backward') else f'torch.distributed {collective.name}')
    index = stack.index(collective)
    caller = next(
        (frame for frame in reversed(stack[:index])
         if 'mmcls_kd' in frame.filename or 'tools' in frame.filename), None)
    called = f', called from {caller.filename}:{caller.lineno}' \
        if caller is not None else ''
    return f'{what}{called}'


@HOOKS.register_module()
class CollectiveWatchdogHook(Hook):
    """Warn, naming the collective, when a rank makes no progress for
    ``warn_after`` seconds in a distributed run.

    A rank that stops (a SIGSTOP, a node that hangs) blocks the others at
    their next collective until the process group's timeout
    (``env_cfg.dist_cfg.timeout``) ends the run, without a word meanwhile.
    A thread of each rank checks that the iterations go on; when one has
    taken longer than ``warn_after`` seconds it logs where the main thread
    waits, once per stall. ``KDRunner`` adds it to every run; outside
    distributed runs it does nothing.

    Args:
        warn_after (float): Seconds without a finished iteration before the
            warning. Defaults to 120.
        interval (float): Seconds between the thread's checks. Defaults to
            a tenth of ``warn_after``, at most 10.
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 warn_after: float = 120.0,
                 interval: Optional[float] = None) -> None:
        if not warn_after > 0:
            raise ValueError(
                f'CollectiveWatchdogHook: warn_after must be positive, got '
                f'{warn_after}')
        self.warn_after = warn_after
        self.interval = interval or min(10.0, warn_after / 10)
        self._last_progress = time.monotonic()
        self._warned = False
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._main = threading.main_thread().ident

    def _progress(self, *args, **kwargs) -> None:
        self._last_progress = time.monotonic()
        self._warned = False

    before_train = before_train_iter = after_train_iter = _progress
    before_val_iter = after_val_iter = _progress

    def before_run(self, runner) -> None:
        if not is_distributed():
            return
        self._main = threading.get_ident()
        self._progress()
        self._thread = threading.Thread(target=self._watch,
                                        name='collective-watchdog',
                                        daemon=True)
        self._thread.start()

    def after_run(self, runner) -> None:
        self._stop.set()

    def _watch(self) -> None:
        logger = MMLogger.get_current_instance()
        while not self._stop.wait(self.interval):
            waited = time.monotonic() - self._last_progress
            if waited < self.warn_after or self._warned:
                continue
            frames = sys._current_frames().get(self._main)
            where = waiting_at(frames) if frames is not None else 'unknown'
            logger.warning(
                f'rank {get_rank()} has made no progress for {waited:.0f} s, '
                f'waiting at {where}: another rank may have stopped. The '
                'process group times out after env_cfg.dist_cfg.timeout '
                'seconds.')
            self._warned = True
