"""The teacher-output cache: the teacher runs once over the training set's
augmented images (``tools/cache_teacher.py``), and distillation runs read
its logits (``model.teacher_cache=DIR``) instead of running it."""
from .builder import build_cache
from .manifest import CacheMismatchError, check_run, make_manifest
from .store import CacheReader, read_manifest
from .teacher import LOGITS_SOURCE, CachedTeacher, refuse_multi_view

__all__ = [
    'CacheMismatchError', 'CacheReader', 'CachedTeacher', 'LOGITS_SOURCE',
    'build_cache', 'check_run', 'make_manifest', 'read_manifest',
    'refuse_multi_view'
]
