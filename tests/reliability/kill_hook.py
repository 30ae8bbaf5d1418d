"""A hook that SIGKILLs its own training process: a crash at a known
point, imported by test configs through ``custom_imports``."""
import os
import signal

from mmengine.hooks import Hook

from mmcls_kd.registry import HOOKS


@HOOKS.register_module()
class SigkillAtIterHook(Hook):
    """Kill the process when iteration ``iteration`` (1-based) starts, i.e.
    after ``iteration - 1`` iterations were trained and logged."""

    priority = 'LOWEST'

    def __init__(self, iteration: int) -> None:
        self.iteration = iteration

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if runner.iter + 1 == self.iteration:
            os.kill(os.getpid(), signal.SIGKILL)
