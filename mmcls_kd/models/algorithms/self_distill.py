"""Teacher-free distillation (USKD, Tf-KD_reg, tf-NKD, ...)."""
from mmrazor.models.algorithms import SelfDistill

from mmcls_kd.registry import MODELS
from .utils import explain_missing_source, student_preprocessor


@MODELS.register_module()
class SelfDistillation(SelfDistill):
    """MMRazor's ``SelfDistill`` (no teacher is built) with the student's
    data preprocessor, so the student's batch augments stay active.

    Args:
        distiller (dict): config of the distiller; its recorders and
            connectors (e.g. :class:`WeakClassifier`) act on the student.
        **kwargs: passed to ``SelfDistill`` (``architecture``, ...).
    """

    def __init__(self, distiller: dict, **kwargs) -> None:
        try:
            super().__init__(
                distiller=distiller, **student_preprocessor(kwargs))
        except AssertionError as err:
            raise explain_missing_source(self, err) from err
