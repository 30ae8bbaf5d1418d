"""Teacher-free distillation (USKD, Tf-KD_reg, tf-NKD, ...)."""
from mmrazor.models.algorithms import SelfDistill

from mmcls_kd.registry import MODELS
from .utils import (explain_missing_source, set_channels_last,
                    student_preprocessor, to_memory_format)


@MODELS.register_module()
class SelfDistillation(SelfDistill):
    """MMRazor's ``SelfDistill`` (no teacher is built) with the student's
    data preprocessor, so the student's batch augments stay active.

    Args:
        distiller (dict): config of the distiller; its recorders and
            connectors (e.g. :class:`WeakClassifier`) act on the student.
        channels_last (bool): keep the student's weights and the input
            batch in ``torch.channels_last`` memory format. Defaults to
            False.
        **kwargs: passed to ``SelfDistill`` (``architecture``, ...).
    """

    def __init__(self,
                 distiller: dict,
                 channels_last: bool = False,
                 **kwargs) -> None:
        try:
            super().__init__(
                distiller=distiller, **student_preprocessor(kwargs))
        except AssertionError as err:
            raise explain_missing_source(self, err) from err
        self.channels_last = channels_last
        if channels_last:
            set_channels_last(self.student)

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        return super().forward(
            to_memory_format(inputs, self.channels_last), data_samples, mode)
