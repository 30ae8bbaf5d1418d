"""The warm-up protocol of distillation losses."""
import warnings
from typing import Optional

from .checks import check_count


class WarmupMixin:
    """A loss weight ramped up linearly over the first epochs.

    The factor is ``min(epoch / warmup_epochs, 1)`` with ``epoch`` the
    number of the current epoch in the convention of the code the config
    follows: ``warmup_first_epoch=1`` (DKD's and mdistiller's code: the
    first epoch already distils at ``1 / warmup_epochs``) or ``0``
    (ReviewKD's code: no distillation in the first epoch). The loss does
    not count epochs: :class:`~mmcls_kd.engine.hooks.DistillLossWarmupHook`
    (always on in ``KDRunner``) sets ``warmup_factor`` from the runner's
    epoch before each training epoch, so a resumed run continues the
    warm-up where it stopped. Until something sets it the factor is 1.0,
    with a warning when a warm-up was asked for.
    """

    def init_warmup(self, warmup_epochs: int, warmup_first_epoch: int) -> None:
        owner = type(self).__name__
        self.warmup_epochs = check_count(owner, 'warmup_epochs', warmup_epochs,
                                         0)
        if warmup_first_epoch not in (0, 1):
            raise ValueError(f'{owner}: warmup_first_epoch must be 0 or 1, '
                             f'got {warmup_first_epoch!r}')
        self.warmup_first_epoch = warmup_first_epoch
        self._warmup_factor: Optional[float] = None

    def warmup_factor_at(self, epoch: int) -> float:
        """The factor during the runner's 0-based ``epoch``."""
        if not self.warmup_epochs:
            return 1.0
        return min((epoch + self.warmup_first_epoch) / self.warmup_epochs,
                   1.0)

    @property
    def warmup_factor(self) -> float:
        """The factor in [0, 1] set by the warm-up hook; 1.0 until then."""
        if self.warmup_epochs and self._warmup_factor is None:
            warnings.warn(
                f'{type(self).__name__}: warmup_epochs={self.warmup_epochs} '
                'but nothing has set warmup_factor (KDRunner adds '
                'DistillLossWarmupHook; with another runner add it to '
                'custom_hooks), so the loss runs without warm-up')
        return 1.0 if self._warmup_factor is None else self._warmup_factor

    @warmup_factor.setter
    def warmup_factor(self, value: float) -> None:
        self._warmup_factor = float(value)
