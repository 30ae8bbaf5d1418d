from . import hooks  # noqa: F401
from .amp import DeviceAmpOptimWrapper
from .dist import init_cpu_dist
from .dot import DOTOptimWrapper
from .loss_terms import KDDistributedDataParallel
from .loops import ResumableEpochBasedTrainLoop, TeacherOnceValLoop
from .runner import KDRunner

__all__ = [
    'DOTOptimWrapper', 'DeviceAmpOptimWrapper', 'KDDistributedDataParallel',
    'KDRunner', 'ResumableEpochBasedTrainLoop', 'TeacherOnceValLoop',
    'init_cpu_dist'
]
