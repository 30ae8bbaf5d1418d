from . import hooks  # noqa: F401
from .val_loop import TeacherOnceValLoop
from .amp import DeviceAmpOptimWrapper
from .runner import KDRunner, ResumableEpochBasedTrainLoop, init_cpu_dist

__all__ = [
    'DeviceAmpOptimWrapper', 'KDRunner', 'ResumableEpochBasedTrainLoop',
    'TeacherOnceValLoop', 'init_cpu_dist'
]
