"""The paraphraser and translator of factor transfer (FT): MMRazor's, with
the input checked and the paraphraser's two outputs at once."""
from typing import Optional, Tuple

from mmrazor.models.architectures.connectors import Paraphraser, Translator
from torch import Tensor

from mmcls_kd.registry import MODELS
from .connectors import check_map


@MODELS.register_module()
class FTParaphraser(Paraphraser):
    """The teacher-side connector of FT ("Paraphrasing Complex Network:
    Network Compression via Factor Transfer", arXiv 1802.04977): a
    convolutional auto-encoder of the teacher's feature (three 3x3 convs
    with LeakyReLU 0.1 down to ``out_channels``, three transposed convs back
    up), MMRazor's ``Paraphraser`` without BatchNorm, as in the CRD
    benchmark code.

    It returns ``(factor, reconstruction)``: the encoder's output (the
    teacher's factor, which the translator's output is compared with) and
    the decoder's (which the paraphraser is trained to make equal to its
    input, before distillation). Mappings pick one with ``connector_idx``.
    MMRazor's returns one of the two by a ``phase`` fixed at build time,
    which does not fit one run with an initialisation phase.

    Args:
        in_channels (int): channels of the teacher's feature.
        out_channels (int): channels of the factor; the paper's rate 0.5
            gives ``in_channels // 2``.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            in_channels, out_channels, use_bn=False, init_cfg=init_cfg)
        self.in_channels = in_channels

    def forward(self, feature: Tensor) -> Tuple[Tensor, Tensor]:
        return self.forward_train(feature)

    def forward_train(self, feature: Tensor) -> Tuple[Tensor, Tensor]:
        check_map(type(self).__name__, feature, self.in_channels, None,
                  'check the recorder source and in_channels')
        factor = self.encoder(feature)
        return factor, self.decoder(factor)


@MODELS.register_module()
class FTTranslator(Translator):
    """The student-side connector of FT: three 3x3 convs with BatchNorm and
    LeakyReLU 0.1 from the student's feature to the factor's channels
    (MMRazor's ``Translator``, as in the CRD benchmark code).

    Args:
        in_channels (int): channels of the student's feature.
        out_channels (int): channels of the teacher's factor.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            in_channels, out_channels, use_bn=True, init_cfg=init_cfg)
        self.in_channels = in_channels

    def forward_train(self, feature: Tensor) -> Tensor:
        check_map(type(self).__name__, feature, self.in_channels, None,
                  'check the recorder source and in_channels')
        return super().forward_train(feature)
