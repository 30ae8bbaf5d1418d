"""The teacher's speed switches: ``mode='tensor'`` (no unused teacher loss),
``teacher_autocast``, ``channels_last`` and ``teacher_compile``, each giving
the losses of the plain path."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmcls_kd.apis import model_config
from mmcls_kd.registry import MODELS
from tests.conftest import KD_CONFIG, QUICK
from tests.models.algorithms.test_teacher_distill import _batch

OFD_CONFIG = f'{QUICK}/ofd_resnet34-w32_resnet18-w16_1xb32_digits.py'


def _algorithm(teacher_ckpt, config=KD_CONFIG, **changes):
    model = model_config(Config.fromfile(config))
    if teacher_ckpt:
        model.teacher_ckpt = teacher_ckpt
    model.update(changes)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        return MODELS.build(copy.deepcopy(model))


def _losses(algorithm, batch=None):
    data = algorithm.data_preprocessor(batch or _batch(16), True)
    return algorithm(**data, mode='loss')


def test_the_teacher_runs_without_its_loss(random_teacher_ckpt):
    algorithm = _algorithm(random_teacher_ckpt)
    calls = []
    algorithm.teacher.head.loss_module.register_forward_hook(
        lambda *_: calls.append('teacher'))
    algorithm.student.head.loss_module.register_forward_hook(
        lambda *_: calls.append('student'))
    losses = _losses(algorithm)
    assert calls == ['student']
    assert sorted(losses) == ['distill.loss_kd', 'student.loss']


def test_an_autocast_teacher_gives_its_logits_in_float32(random_teacher_ckpt):
    plain = _algorithm(random_teacher_ckpt)
    fast = _algorithm(random_teacher_ckpt, teacher_autocast='bfloat16')
    losses, reference = _losses(fast), _losses(plain)
    recorder = next(iter(fast.distiller.teacher_recorders.recorders.values()))
    recorded = recorder.data_buffer
    data = fast.data_preprocessor(_batch(16), True)
    # The teacher's own bf16 pass, written out.
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
        expected = fast.teacher(data['inputs'], mode='tensor')
    assert expected.dtype == torch.bfloat16
    assert recorded[0].dtype == torch.float32
    assert torch.equal(recorded[0], expected.float())
    # The student is untouched; the distillation loss moves by bf16 only.
    assert losses['student.loss'] == reference['student.loss']
    assert losses['distill.loss_kd'].dtype == torch.float32
    assert losses['distill.loss_kd'].item() == pytest.approx(
        reference['distill.loss_kd'].item(), rel=0.05)
    with pytest.raises(ValueError, match="teacher_autocast must be None or "
                       "one of \\['bfloat16', 'float16'\\], got 'half'"):
        _algorithm(random_teacher_ckpt, teacher_autocast='half')


def test_without_the_switch_the_teacher_keeps_the_runs_autocast(
        random_teacher_ckpt):
    """Under --amp (an autocast around the whole step) the teacher runs in
    the run's precision unless teacher_autocast says otherwise."""
    algorithm = _algorithm(random_teacher_ckpt)
    recorder = next(
        iter(algorithm.distiller.teacher_recorders.recorders.values()))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        _losses(algorithm)
    assert recorder.data_buffer[0].dtype == torch.bfloat16
    _losses(algorithm)
    assert recorder.data_buffer[0].dtype == torch.float32


def test_channels_last_keeps_the_losses(random_teacher_ckpt):
    plain = _algorithm(random_teacher_ckpt)
    fast = _algorithm(random_teacher_ckpt, channels_last=True)
    conv = fast.student.backbone.layer1[0].conv1.weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    assert not conv.is_contiguous()
    assert fast.teacher.backbone.layer1[0].conv1.weight.is_contiguous(
        memory_format=torch.channels_last)
    losses, reference = _losses(fast), _losses(plain)
    for key, value in reference.items():
        assert losses[key].item() == pytest.approx(value.item(), rel=1e-5)


def test_a_compiled_teacher_gives_the_eager_losses(random_teacher_ckpt):
    plain = _algorithm(random_teacher_ckpt)
    fast = _algorithm(random_teacher_ckpt,
                      teacher_compile=dict(backend='aot_eager'))
    # The compiled teacher is not a submodule: checkpoints are unchanged.
    assert list(fast.state_dict()) == list(plain.state_dict())
    for seed in (0, 1):  # a second batch reuses the compiled graph
        losses = _losses(fast, _batch(16, seed=seed))
        reference = _losses(plain, _batch(16, seed=seed))
        assert fast._compiled is not None
        for key, value in reference.items():
            assert losses[key].item() == pytest.approx(value.item(),
                                                       rel=1e-5)


def test_a_teacher_that_does_not_compile_runs_eagerly(random_teacher_ckpt):

    def refuse(graph, example_inputs):
        raise RuntimeError('this backend compiles nothing')

    plain = _algorithm(random_teacher_ckpt)
    fast = _algorithm(random_teacher_ckpt,
                      teacher_compile=dict(backend=refuse))
    losses, reference = _losses(fast), _losses(plain)
    assert fast._compiled is None
    assert losses['distill.loss_kd'].item() == pytest.approx(
        reference['distill.loss_kd'].item(), rel=1e-6)


def test_a_teacher_recorded_inside_cannot_be_compiled(random_teacher_ckpt):
    # OFD's quick start has the same teacher, recorded at its stages.
    with pytest.raises(ValueError, match=r'teacher_compile runs the teacher '
                       r'outside its recorders.*also records '):
        _algorithm(random_teacher_ckpt, config=OFD_CONFIG,
                   teacher_compile=True)


def test_channels_last_keeps_a_self_distillation_loss():
    config = f'{QUICK}/uskd_resnet18-w16_1xb32_digits.py'
    plain = _algorithm(None, config=config)
    fast = _algorithm(None, config=config, channels_last=True)
    assert fast.student.backbone.layer1[0].conv1.weight.is_contiguous(
        memory_format=torch.channels_last)
    losses, reference = _losses(fast), _losses(plain)
    assert sorted(losses) == sorted(reference)
    for key, value in reference.items():
        assert losses[key].item() == pytest.approx(value.item(), rel=1e-5)
