"""USKD's weak classifier (Eq. 8 of arXiv 2303.13005)."""
from typing import Optional, Tuple, Union

from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from torch import Tensor, nn

from mmcls_kd.registry import MODELS

Feature = Union[Tensor, Tuple, list]


@MODELS.register_module()
class WeakClassifier(BaseConnector):
    """The weak classifier of USKD: a linear layer on a middle feature.

    "From Knowledge Distillation to Self-Knowledge Distillation: A Unified
    Approach with Normalized Loss and Customized Soft Labels" (ICCV 2023,
    arXiv 2303.13005), Eq. 8: ``W = softmax(FC(GAP(F)))`` for CNNs and
    ``W = softmax(FC(F))`` on a middle block's class token for ViTs. This
    module returns the logits ``FC(...)``; the softmax belongs to the loss.

    It is an MMRazor connector, so it lives in the distiller: it trains with
    the student and is not part of the exported student.

    Args:
        in_channels (int): channels of the recorded feature.
        num_classes (int): number of classes. Defaults to 1000 (ImageNet);
            ``USKDLoss`` refuses weak logits of another width than the
            student's.
        pool (str): how the feature becomes a vector:
            ``'gap'`` averages an (N, C, H, W) map (CNNs);
            ``'cls_token'`` takes token 0 of (N, L, C) tokens (DeiT/ViT);
            ``'mean_tokens'`` averages (N, L, C) tokens (Swin).
            A recorded tuple (e.g. a Swin stage's ``(x, hw_shape)``) is
            reduced to its first tensor.
        token_norm (bool): apply a LayerNorm over the channels of the
            tokens before pooling them (``'cls_token'``/``'mean_tokens'``
            only). USKD's official Swin-T config takes the third stage as a
            backbone output (``out_indices=(0, 1, 2, 3)``), which passes it
            through the stage's own LayerNorm (``norm2``) before the weak
            classifier pools it; that norm serves the weak classifier alone,
            so it belongs here, outside the student. Defaults to False.
        init_cfg (dict, optional): initialisation config.
    """

    POOLS = ('gap', 'cls_token', 'mean_tokens')

    def __init__(self,
                 in_channels: int,
                 num_classes: int = 1000,
                 pool: str = 'gap',
                 token_norm: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if pool not in self.POOLS:
            raise ValueError(f'WeakClassifier: pool must be one of '
                             f'{self.POOLS}, got {pool!r}')
        if token_norm and pool == 'gap':
            raise ValueError('WeakClassifier: token_norm normalises (N, L, C)'
                             " tokens; it does not apply to pool='gap'")
        self.in_channels = in_channels
        self.pool = pool
        # MMPretrain's Swin stage norms: nn.LayerNorm with its default eps.
        self.norm = nn.LayerNorm(in_channels) if token_norm else None
        self.fc = nn.Linear(in_channels, num_classes)

    def _vector(self, feature: Feature) -> Tensor:
        if isinstance(feature, (tuple, list)):
            feature = feature[0]
        expected_dims = 4 if self.pool == 'gap' else 3
        channel_dim = 1 if self.pool == 'gap' else -1
        if (feature.dim() != expected_dims
                or feature.shape[channel_dim] != self.in_channels):
            layout = '(N, C, H, W)' if self.pool == 'gap' else '(N, L, C)'
            raise ValueError(
                f'WeakClassifier(pool={self.pool!r}) expects a {layout} '
                f'feature with C={self.in_channels}, got shape '
                f'{tuple(feature.shape)}; check the recorder source and '
                'in_channels')
        if self.pool == 'gap':
            return feature.mean(dim=(2, 3))
        if self.norm is not None:
            feature = self.norm(feature)
        if self.pool == 'cls_token':
            return feature[:, 0]
        return feature.mean(dim=1)

    def forward_train(self, feature: Feature) -> Tensor:
        return self.fc(self._vector(feature))
