"""The teacher's own input, made from the student's preprocessed batch.

A distillation algorithm preprocesses each batch once, with the student's
data preprocessor (its normalisation, channel order and batch augments), and
MMPretrain teachers are trained with the same preprocessing. A timm model is
not: it expects the input its ``pretrained_cfg`` describes (mean and std on
0-1 pixels, RGB, an input size and the interpolation it was resized with).
:class:`TeacherInput` undoes the student's normalisation, puts the channels
in the teacher's order, resizes the student's view to the teacher's size when
they differ, and normalises as the teacher expects. The same view is kept: the
crop is the student's (the timm transform's ``crop_pct`` does not apply).

Training, the teacher-once validation and the teacher-cache builder all feed
the teacher through :func:`teacher_inputs`.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

#: timm's interpolation names -> ``F.interpolate`` modes that give what PIL
#: gives (PIL's NEAREST picks the pixel whose centre is nearest, like
#: 'nearest-exact'; torch's antialiased bilinear/bicubic use PIL's kernels).
INTERPOLATIONS = {
    'bilinear': 'bilinear',
    'bicubic': 'bicubic',
    'nearest': 'nearest-exact'
}
#: What ``teacher_input`` may set: timm's data-config arguments
#: (``timm.data.resolve_data_config(args=...)``), ``use_test_size`` (the
#: ``pretrained_cfg``'s test size) and the student's channel order.
OPTIONS = ('input_size', 'interpolation', 'mean', 'std', 'use_test_size',
           'student_channel_order')
#: MMPretrain's pixels are 0-255; timm's mean and std are for 0-1 pixels.
PIXEL_MAX = 255.0


def is_timm(model: nn.Module) -> bool:
    """Whether ``model`` is MMPretrain's wrapper of a timm network."""
    from mmpretrain.models import TimmClassifier
    return isinstance(model, TimmClassifier)


class TeacherInput(nn.Module):
    """Map a batch preprocessed for the student to the teacher's input.

    ``pixels = x[:, order] * student_std + student_mean`` (0-255), resized to
    ``size`` with ``interpolation`` when the batch has another size (as PIL
    resizes for timm's transforms: antialiased, width then height, each pass
    clipped to 0-255 as PIL's 8-bit passes are), then
    ``(pixels / 255 - mean) / std``.

    Args:
        order (Sequence[int]): for each teacher channel, the student channel
            it is made of.
        student_mean, student_std (Sequence[float]): the student's
            normalisation (0-255), per teacher channel.
        mean, std (Sequence[float]): the teacher's (0-1 pixels).
        size (Tuple[int, int]): the teacher's input height and width.
        interpolation (str): a key of :data:`INTERPOLATIONS`.
        description (str): what the conversion does, for the log.
    """

    def __init__(self, order: Sequence[int], student_mean: Sequence[float],
                 student_std: Sequence[float], mean: Sequence[float],
                 std: Sequence[float], size: Tuple[int, int],
                 interpolation: str, description: str) -> None:
        super().__init__()

        def column(values: Sequence[float]) -> Tensor:
            return torch.tensor(values, dtype=torch.float32).view(-1, 1, 1)

        self.register_buffer('order', torch.tensor(order), persistent=False)
        self.register_buffer(
            'student_mean', column(student_mean), persistent=False)
        self.register_buffer(
            'student_std', column(student_std), persistent=False)
        self.register_buffer(
            'mean', column(mean) * PIXEL_MAX, persistent=False)
        self.register_buffer('std', column(std) * PIXEL_MAX, persistent=False)
        self.size = tuple(size)
        self.interpolation = interpolation
        self.description = description
        self.student_channels = int(max(order)) + 1

    def forward(self, inputs: Tensor) -> Tensor:
        if inputs.dim() != 4 or inputs.shape[1] != self.student_channels:
            raise ValueError(
                f'TeacherInput: expected a batch (N, '
                f'{self.student_channels}, H, W) preprocessed for the '
                f'student, got {tuple(inputs.shape)}')
        pixels = inputs.float()[:, self.order] * self.student_std \
            + self.student_mean
        if tuple(pixels.shape[-2:]) != self.size:
            # PIL resizes the width first into an 8-bit image, then the
            # height: a bicubic overshoot is clipped between the passes.
            height, width = self.size
            pixels = self._resize(pixels, (pixels.shape[-2], width))
            pixels = self._resize(pixels, (height, width))
        return (pixels - self.mean) / self.std

    def _resize(self, pixels: Tensor, size: Tuple[int, int]) -> Tensor:
        mode = INTERPOLATIONS[self.interpolation]
        smooth = mode in ('bilinear', 'bicubic')
        return F.interpolate(
            pixels,
            size=size,
            mode=mode,
            antialias=smooth,
            **(dict(align_corners=False) if smooth else {})).clamp(
                0, PIXEL_MAX)

    def extra_repr(self) -> str:
        return self.description


def teacher_inputs(algorithm: nn.Module, inputs: Tensor) -> Tensor:
    """What the algorithm's teacher is fed for a batch that the algorithm's
    (student's) data preprocessor made: the batch itself, or the teacher's
    own input when the algorithm has a :class:`TeacherInput`."""
    convert = getattr(algorithm, 'teacher_input', None)
    return inputs if convert is None else convert(inputs)


def _per_channel(name: str, values: Sequence[float],
                 channels: int) -> Tuple[float, ...]:
    values = tuple(float(v) for v in values)
    if len(values) == 1:
        values *= channels
    if len(values) != channels:
        raise ValueError(f'teacher input: {name} has {len(values)} values, '
                         f'the teacher takes {channels} channels')
    return values


def _network_channels(network: nn.Module) -> Optional[int]:
    """The input channels of a timm network's first convolution."""
    first = (getattr(network, 'pretrained_cfg', None) or {}).get('first_conv')
    if not isinstance(first, str):
        return None
    try:
        return getattr(network.get_submodule(first), 'in_channels', None)
    except AttributeError:
        return None


def _student_side(preprocessor: nn.Module,
                  channels: Optional[int]) -> Tuple[list, list, str]:
    """The student's mean, std (0-255) and channel order as its data
    preprocessor makes them. MMPretrain loads images BGR; ``to_rgb`` flips
    three-channel batches."""
    if getattr(preprocessor, '_enable_normalize', False):
        mean = preprocessor.mean.flatten().tolist()
        std = preprocessor.std.flatten().tolist()
    else:
        mean, std = [0.0] * (channels or 3), [1.0] * (channels or 3)
    order = 'rgb' if getattr(preprocessor, 'to_rgb', False) else 'bgr'
    return mean, std, order


def _channel_order(student: int, teacher: int, student_order: str,
                   name: str) -> Tuple[list, str]:
    if student == teacher == 3:
        if student_order == 'rgb':
            return [0, 1, 2], 'RGB'
        return [2, 1, 0], 'BGR -> RGB'
    if student == teacher:
        return list(range(teacher)), f'{teacher} channel(s) as they are'
    if student == 1:
        return [0] * teacher, f'grey repeated on {teacher} channels'
    raise ValueError(
        f'teacher input: the student\'s batch has {student} channels and '
        f'the teacher {name} takes {teacher}')


def build_teacher_input(preprocessor: nn.Module,
                        teacher: nn.Module,
                        options: Optional[Dict] = None
                        ) -> Optional[TeacherInput]:
    """The conversion from the batches of the student's data ``preprocessor``
    to the input of ``teacher``; None when the teacher takes the student's
    batch as it is (an MMPretrain teacher).

    For a timm teacher the target is ``timm.data.resolve_data_config`` of its
    network (its ``pretrained_cfg``, which ``pretrained_cfg_overlay`` changes
    at creation), with ``options`` (see :data:`OPTIONS`) over it.
    """
    options = dict(options or {})
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ValueError(f'teacher_input: unknown keys {unknown}; allowed: '
                         f'{list(OPTIONS)}')
    if not is_timm(teacher):
        if options:
            raise ValueError(
                'teacher_input is set, but the teacher '
                f'({type(teacher).__name__}) is not a timm model: an '
                'MMPretrain teacher takes the student\'s batch as it is')
        return None
    from timm.data import resolve_data_config
    network = teacher.model
    name = (network.pretrained_cfg or {}).get('architecture') or type(
        network).__name__
    tag = (network.pretrained_cfg or {}).get('tag')
    name = f'{name}.{tag}' if tag else name
    use_test_size = bool(options.pop('use_test_size', False))
    student_order = options.pop('student_channel_order', None)
    if student_order not in (None, 'rgb', 'bgr'):
        raise ValueError('teacher_input.student_channel_order must be '
                         f"'rgb' or 'bgr', got {student_order!r}")
    config = resolve_data_config(
        args=options, model=network, use_test_size=use_test_size)
    channels = int(config['input_size'][0])
    in_chans = _network_channels(network)
    if in_chans is not None and in_chans != channels:
        raise ValueError(
            f'teacher input: the data config of the timm teacher {name} is '
            f'for {channels} channels ({config["input_size"]}), its network '
            f'takes {in_chans}; set the input size, mean and std for '
            f'{in_chans} channels (pretrained_cfg_overlay or teacher_input)')
    mean = _per_channel('mean', config['mean'], channels)
    std = _per_channel('std', config['std'], channels)
    interpolation = config['interpolation']
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f'teacher input: the timm teacher {name} is resized with '
            f'{interpolation!r}, which has no torch counterpart; set '
            f'teacher_input.interpolation to one of {list(INTERPOLATIONS)}')
    s_mean, s_std, order = _student_side(preprocessor, channels)
    order = student_order or order
    picked, shown = _channel_order(len(s_mean), channels, order, name)
    size = tuple(int(v) for v in config['input_size'][1:])
    description = (
        f'the timm teacher {name} sees its own input: the student\'s batch '
        f'(mean {_fmt(s_mean)}, std {_fmt(s_std)} on 0-255, '
        f'{order.upper() if len(s_mean) == 3 else "as loaded"}) -> '
        f'{shown}, mean {_fmt(mean)}, std {_fmt(std)} on 0-1, '
        f'{size[0]}x{size[1]} (a batch of another size is resized with '
        f'antialiased {interpolation})')
    return TeacherInput(
        picked, [s_mean[c] for c in picked], [s_std[c] for c in picked],
        mean, std, size, interpolation, description)


def _fmt(values: Sequence[float]) -> str:
    return '(' + ', '.join(f'{v:.4g}' for v in values) + ')'
