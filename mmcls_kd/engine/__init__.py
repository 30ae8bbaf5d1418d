from . import hooks  # noqa: F401
from .amp import DeviceAmpOptimWrapper
from .dist import init_cpu_dist
from .loops import ResumableEpochBasedTrainLoop, TeacherOnceValLoop
from .runner import KDRunner

__all__ = [
    'DeviceAmpOptimWrapper', 'KDRunner', 'ResumableEpochBasedTrainLoop',
    'TeacherOnceValLoop', 'init_cpu_dist'
]
