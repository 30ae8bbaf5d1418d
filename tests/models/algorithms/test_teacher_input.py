"""A timm teacher sees its own input: what the conversion makes of the
student's batch equals timm's own transform (``resolve_data_config`` +
``create_transform``) of the same image, and so does what the teacher's
network receives in training, in the teacher-once validation and in the
teacher cache.

Tolerance: timm's transform resizes 8-bit PIL images, which rounds to whole
pixel levels after each of its two passes (width, then height); the
conversion resizes floats with the same antialiased kernels, so the two
differ by at most about one level (1/255 of the 0-1 range, divided by the
teacher's std). Without a resize they agree to float32 rounding.
"""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import DefaultScope
from mmpretrain.models import ClsDataPreprocessor, TimmClassifier
from PIL import Image

from mmcls_kd.apis import build_runner, load_config
from mmcls_kd.cache import CacheReader, build_cache
from mmcls_kd.datasets import Digits
from mmcls_kd.models.algorithms.teacher_input import build_teacher_input
from mmcls_kd.registry import MODELS
from tests.conftest import QUICK, randomize_batchnorm

timm_data = pytest.importorskip('timm.data')

TIMM_NKD = osp.join(QUICK, 'nkd_timm-resnet18_resnet18-w16_1xb32_digits.py')
IMAGENET_MEAN = [123.675, 116.28, 103.53]
IMAGENET_STD = [58.395, 57.12, 57.375]
# One pixel level of the 0-1 range, and a little for PIL's fixed point.
LEVEL = 1.1 / 255


def _image(size: int, seed: int = 0) -> np.ndarray:
    """An RGB uint8 image with smooth waves, a flat patch and noise: edges
    where a bicubic resize overshoots."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    img = np.stack([
        127 + 100 * np.sin(2 * np.pi * (fx * x + fy * y) + phase)
        for fx, fy, phase in rng.rand(3, 3) * 3
    ], -1)
    img[size // 4:size // 2, size // 3:2 * size // 3] = rng.randint(0, 256, 3)
    img += rng.randn(*img.shape) * 20
    return np.clip(img, 0, 255).astype(np.uint8)


def _timm_transform(network, image: np.ndarray) -> torch.Tensor:
    """timm's eval transform of ``image`` for ``network``. The view is the
    student's, so timm's crop_pct (a border cut before the resize) is 1."""
    config = timm_data.resolve_data_config(model=network)
    config['crop_pct'] = 1.0
    return timm_data.create_transform(**config)(Image.fromarray(image))


def _student_batch(preprocessor, images) -> torch.Tensor:
    """The student's preprocessed batch of ``images`` as MMPretrain loads
    them: BGR (what mmcv reads), channels first."""
    inputs = [
        torch.from_numpy(np.ascontiguousarray(
            img[..., ::-1] if img.ndim == 3 else img[..., None])).permute(
                2, 0, 1) for img in images
    ]
    return preprocessor(dict(inputs=inputs), False)['inputs']


@pytest.mark.parametrize(
    'model_name, student_size, to_rgb, tolerance',
    [
        # mean/std 0.5, bilinear, 160: a larger student view shrinks
        # (antialiased) and an RGB student batch stays RGB.
        ('test_resnet.r160_in1k', 224, True, LEVEL / 0.5),
        # bicubic, 160: a smaller BGR student view (to_rgb=False) grows and
        # its channels are reversed.
        ('test_convnext.r160_in1k', 96, False, LEVEL / 0.5),
        # The same size: only renormalised.
        ('test_resnet.r160_in1k', 160, True, 1e-5),
    ])
def test_converted_input_equals_timm_transform(model_name, student_size,
                                               to_rgb, tolerance):
    teacher = TimmClassifier(model_name=model_name, pretrained=False)
    student = ClsDataPreprocessor(
        mean=IMAGENET_MEAN, std=IMAGENET_STD, to_rgb=to_rgb)
    images = [_image(student_size, seed) for seed in range(2)]
    converted = build_teacher_input(student, teacher)(
        _student_batch(student, images))
    expected = torch.stack(
        [_timm_transform(teacher.model, img) for img in images])
    assert converted.shape == expected.shape == (2, 3, 160, 160)
    assert (converted - expected).abs().max() <= tolerance
    # Fed the student's batch as it is, the teacher would be far off.
    if student_size == 160:
        unconverted = _student_batch(student, images)
        assert (unconverted - expected).abs().max() > 0.1


def test_a_grey_student_batch_fills_the_three_channels_of_a_teacher():
    teacher = TimmClassifier(model_name='test_resnet.r160_in1k')
    student = ClsDataPreprocessor(mean=[78.1], std=[96.1])
    grey = _image(160)[..., 0]
    converted = build_teacher_input(student, teacher)(
        _student_batch(student, [grey]))
    expected = _timm_transform(teacher.model,
                               np.repeat(grey[..., None], 3, -1))
    assert (converted[0] - expected).abs().max() <= 1e-5


def test_options_override_the_pretrained_cfg():
    teacher = TimmClassifier(model_name='test_resnet.r160_in1k')
    student = ClsDataPreprocessor(mean=IMAGENET_MEAN, std=IMAGENET_STD)
    convert = build_teacher_input(
        student, teacher,
        dict(input_size=(3, 64, 64), interpolation='nearest',
             mean=(0.25, ), std=(0.5, ), student_channel_order='rgb'))
    image = _image(16)
    # The student batch is taken as RGB although to_rgb is off.
    batch = torch.from_numpy(image).permute(2, 0, 1)[None].float()
    normalised = (batch - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / \
        torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    # Nearest 16 -> 64: each pixel becomes a 4x4 block.
    blocks = batch.repeat_interleave(4, 2).repeat_interleave(4, 3)
    expected = (blocks / 255 - 0.25) / 0.5
    assert (convert(normalised) - expected).abs().max() <= 1e-5


@pytest.mark.parametrize('options, message', [
    (dict(crop_pct=0.9), r"unknown keys \['crop_pct'\]"),
    (dict(interpolation='lanczos'), "'lanczos', which has no torch"),
    (dict(student_channel_order='rbg'), "'rgb' or 'bgr', got 'rbg'"),
    (dict(input_size=(1, 160, 160)), 'is for 1 channels .* takes 3'),
])
def test_bad_options_are_named(options, message):
    teacher = TimmClassifier(model_name='test_resnet.r160_in1k')
    student = ClsDataPreprocessor(mean=IMAGENET_MEAN, std=IMAGENET_STD)
    with pytest.raises(ValueError, match=message):
        build_teacher_input(student, teacher, options)


def test_a_three_channel_student_cannot_feed_a_one_channel_teacher():
    teacher = TimmClassifier(
        model_name='test_resnet.r160_in1k', in_chans=1,
        pretrained_cfg_overlay=dict(
            input_size=(1, 160, 160), mean=(0.5, ), std=(0.5, )))
    student = ClsDataPreprocessor(mean=IMAGENET_MEAN, std=IMAGENET_STD)
    with pytest.raises(ValueError, match='has 3 channels and the teacher'):
        build_teacher_input(student, teacher)


def test_an_mmpretrain_teacher_takes_the_batch_and_refuses_options():
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        teacher = MODELS.build(Config.fromfile(TIMM_NKD).model.architecture)
    student = ClsDataPreprocessor(mean=[78.1], std=[96.1])
    assert build_teacher_input(student, teacher) is None
    with pytest.raises(ValueError, match='not a timm model'):
        build_teacher_input(student, teacher, dict(mean=(0.5, )))


# The quick-start timm teacher in a real run.


@pytest.fixture(scope='module')
def timm_teacher_ckpt(tmp_path_factory) -> str:
    """The quick-start timm teacher with random weights (random BatchNorm
    statistics too), saved as MMEngine saves a training checkpoint."""
    cfg = Config.fromfile(TIMM_NKD)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        teacher = randomize_batchnorm(MODELS.build(cfg.model.teacher))
    path = tmp_path_factory.mktemp('timm_teacher') / 'teacher.pth'
    torch.save({'meta': {}, 'state_dict': teacher.state_dict()}, path)
    return str(path)


def _digit_inputs(network, images) -> torch.Tensor:
    """timm's transform of 8x8 grey digits for the quick-start teacher."""
    return torch.stack([_timm_transform(network, img) for img in images])


def _digits(split: str, count: int) -> list:
    dataset = Digits(split)
    return [dataset.get_data_info(i)['img'] for i in range(count)]


class _BatchKeeper(Hook):
    """Keeps the raw images of every training batch."""

    def __init__(self) -> None:
        self.batches = []

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.batches.append([x[0].numpy() for x in data_batch['inputs']])


@pytest.mark.slow
def test_quick_start_feeds_the_teacher_its_own_input(tmp_path,
                                                     timm_teacher_ckpt):
    cfg = load_config(
        TIMM_NKD, {
            'work_dir': str(tmp_path),
            'model.teacher_ckpt': timm_teacher_ckpt,
            'train_dataloader.dataset.indices': 64,
            'val_dataloader.dataset.indices': 64,
            'train_cfg.max_epochs': 1,
            'train_cfg.val_interval': 1,
        })
    runner = build_runner(cfg)
    keeper = _BatchKeeper()
    runner.register_hook(keeper)
    algorithm = runner.model
    network = algorithm.teacher.model
    seen, student_seen = [], []
    network.register_forward_pre_hook(
        lambda module, args: seen.append(args[0].detach().clone()))
    algorithm.architecture.backbone.register_forward_pre_hook(
        lambda module, args: student_seen.append(args[0].shape))
    runner.train()

    # Two training batches of 32 (the random crops the student saw), then
    # the teacher-once validation's batch of 64 test images, in order.
    assert [len(x) for x in seen] == [32, 32, 64]
    for images, inputs in zip(keeper.batches, seen):
        expected = _digit_inputs(network, images)
        assert inputs.shape == (32, 1, 32, 32)
        assert (inputs - expected).abs().max() <= LEVEL / 0.5
    test_images = _digits('test', 64)
    expected = _digit_inputs(network, test_images)
    assert (seen[2] - expected).abs().max() <= LEVEL / 0.5
    assert 'teacher/accuracy/top1' in runner.val_loop.teacher_metrics
    # The student gets its own 8x8 batch.
    assert student_seen[0] == (32, 1, 8, 8)
    log = open(osp.join(runner.log_dir, f'{runner.timestamp}.log')).read()
    assert log.count('Teacher input: the timm teacher') == 1
    assert 'mean (78.1), std (96.1) on 0-255' in log


@pytest.mark.slow
def test_the_cache_holds_the_teacher_on_its_own_input(tmp_path,
                                                      timm_teacher_ckpt):
    cfg = load_config(
        TIMM_NKD, {
            'model.teacher_ckpt': timm_teacher_ckpt,
            'train_dataloader.dataset.indices': 32,
            # No random crop: the rows are the data set's images.
            'train_dataloader.dataset.pipeline': [dict(type='PackInputs')],
            'val_dataloader.dataset.indices': 32,
        })
    manifest = build_cache(
        cfg, str(tmp_path), 1, 'float32', progress=lambda _: None)
    assert '32x32' in manifest['teacher']['input']
    cached = CacheReader(str(tmp_path)).logits([0] * 32, list(range(32)))

    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        teacher = MODELS.build(cfg.model.teacher)
    state = torch.load(timm_teacher_ckpt)['state_dict']
    teacher.load_state_dict(state)
    teacher.eval()
    images = _digits('train', 32)
    with torch.no_grad():
        expected = teacher(_digit_inputs(teacher.model, images))
        # What the student's batch alone would give: far off.
        raw = teacher(
            _student_batch(
                ClsDataPreprocessor(mean=[78.1], std=[96.1]), images))
    error = (cached - expected).abs().max()
    assert error <= 1e-2 * expected.abs().max()
    assert (raw - expected).abs().max() > 10 * error
