"""DOTOptimWrapper: the update of DOT ("DOT: A Distillation-Oriented
Trainer", arXiv 2307.08436) step by step against a reference written here in
float64, the losses a TeacherDistill hands it by term, mixed precision with
loss scaling, resume, and what it refuses."""
import copy
import io

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample
from torch import nn

from mmcls_kd.engine import DOTOptimWrapper
from mmcls_kd.registry import MODELS
from tests.conftest import KD_CONFIG, QUICK

MOMENTUM, DELTA = 0.9, 0.075
DOT_CONFIG = f'{QUICK}/dot_resnet34-w32_resnet18-w16_1xb32_digits.py'


class _Toy(nn.Module):
    """A weight in both losses, one in the task loss only, one in the
    distillation loss only, one in neither."""

    def __init__(self, dtype=torch.float64):
        super().__init__()
        gen = torch.Generator().manual_seed(0)

        def param(*shape):
            return nn.Parameter(torch.randn(*shape, generator=gen,
                                            dtype=dtype))

        self.shared = param(3, 4)
        self.task_only = param(3)
        self.distill_only = param(3)
        self.unused = param(2)
        self.inputs = torch.randn(5, 4, generator=gen, dtype=dtype)
        self.targets = torch.randn(5, 3, generator=gen, dtype=dtype)

    def losses(self):
        hidden = torch.tanh(self.inputs @ self.shared.t())
        task = ((hidden + self.task_only - self.targets)**2).mean()
        distill = (torch.sin(hidden * self.distill_only)).pow(2).sum()
        return task, distill


def _wrapper(model, delta=DELTA, lr=0.1, weight_decay=0.01, dampening=0.0,
             **kwargs):
    sgd = torch.optim.SGD(model.parameters(), lr=lr, momentum=MOMENTUM,
                          weight_decay=weight_decay, dampening=dampening)
    return DOTOptimWrapper(optimizer=sgd, delta=delta, **kwargs)


def _grads(loss, params, retain_graph=False):
    return torch.autograd.grad(loss, params, retain_graph=retain_graph,
                               allow_unused=True)


def _reference_dot(model, steps, lrs, weight_decay, dampening):
    """DOT written from the official ``DistillationOrientedTrainer``, in
    float64: per weight, the task buffer (task gradient + weight decay) at
    momentum - delta and the distillation buffer at momentum + delta when
    it has both gradients, else its one buffer at their mean."""
    model = copy.deepcopy(model)
    m_task, m_kd = MOMENTUM - DELTA, MOMENTUM + DELTA
    m_one = (m_task + m_kd) / 2
    names = ['shared', 'task_only', 'distill_only', 'unused']
    task_buf, kd_buf = {}, {}
    for step in range(steps):
        lr = lrs[step]
        params = [getattr(model, n) for n in names]
        task, distill = model.losses()
        g_task = dict(zip(names, _grads(task, params, True)))
        g_kd = dict(zip(names, _grads(distill, params)))
        with torch.no_grad():
            for name in names:
                p = getattr(model, name)
                gt, gk = g_task[name], g_kd[name]
                if gt is not None:
                    d = gt + weight_decay * p
                    mu = m_task if gk is not None else m_one
                    task_buf[name] = (d.clone() if name not in task_buf else
                                      mu * task_buf[name] +
                                      (1 - dampening) * d)
                    p -= lr * task_buf[name]
                if gk is not None:
                    d = gk if gt is not None else gk + weight_decay * p
                    mu = m_kd if gt is not None else m_one
                    kd_buf[name] = (d.clone() if name not in kd_buf else
                                    mu * kd_buf[name] + (1 - dampening) * d)
                    p -= lr * kd_buf[name]
    return model, task_buf, kd_buf


@pytest.mark.parametrize('dampening', [0.0, 0.1])
def test_update_matches_the_reference_step_by_step(dampening):
    model = _Toy()
    start = copy.deepcopy(model)
    wrapper = _wrapper(model, weight_decay=0.01, dampening=dampening)
    # The learning rate changes between steps, as a scheduler changes it.
    lrs = [0.1, 0.1, 0.05, 0.05, 0.02]
    for step, lr in enumerate(lrs):
        wrapper.param_groups[0]['lr'] = lr
        wrapper.update_params_by_terms(*model.losses())
        expected, task_buf, kd_buf = _reference_dot(start, step + 1, lrs,
                                                    0.01, dampening)
        for name, param in expected.named_parameters():
            torch.testing.assert_close(getattr(model, name), param,
                                       rtol=1e-12, atol=1e-14)
    state = wrapper.optimizer.state
    for name in ('shared', 'task_only', 'distill_only'):
        buffers = state[getattr(model, name)]
        expected_keys = {key for key, kept in (
            ('momentum_buffer', name in task_buf),
            ('momentum_kd_buffer', name in kd_buf)) if kept}
        assert set(buffers) == expected_keys
        if name in task_buf:
            torch.testing.assert_close(buffers['momentum_buffer'],
                                       task_buf[name], rtol=1e-12, atol=0)
        if name in kd_buf:
            torch.testing.assert_close(buffers['momentum_kd_buffer'],
                                       kd_buf[name], rtol=1e-12, atol=0)
    assert set(kd_buf) == {'shared', 'distill_only'}
    assert model.unused.equal(start.unused) and model.unused not in state


def test_delta_zero_is_sgd_on_the_summed_loss():
    """At delta 0 the two buffers of a weight add up to SGD's buffer of
    the summed gradient: DOT is then torch's SGD on the sum."""
    dot_model, sgd_model = _Toy(), _Toy()
    wrapper = _wrapper(dot_model, delta=0.0, weight_decay=0.01)
    sgd = torch.optim.SGD(sgd_model.parameters(), lr=0.1, momentum=MOMENTUM,
                          weight_decay=0.01)
    for _ in range(5):
        wrapper.update_params_by_terms(*dot_model.losses())
        sgd.zero_grad()
        sum(sgd_model.losses()).backward()
        sgd.step()
    for name, param in sgd_model.named_parameters():
        torch.testing.assert_close(getattr(dot_model, name), param,
                                   rtol=1e-10, atol=1e-12)


def _student_and_teacher():
    cfg = Config.fromfile(KD_CONFIG).model
    cfg.update(teacher_ckpt=None, allow_random_teacher=True)
    # Losses that differ in size, so that a swap of the terms would show.
    cfg.architecture.head.loss.loss_weight = 0.1
    cfg.distiller.distill_losses.loss_kd.loss_weight = 9.0
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        torch.manual_seed(0)
        return MODELS.build(cfg)


def _batch(seed):
    gen = torch.Generator().manual_seed(seed)
    return dict(
        inputs=[torch.randint(0, 256, (1, 8, 8), dtype=torch.uint8,
                              generator=gen) for _ in range(8)],
        data_samples=[DataSample().set_gt_label(i % 10) for i in range(8)])


def _two_reference_steps(model, task_key, distill_key):
    """Two DOT steps written out: ``task_key``'s gradient in the buffer at
    momentum - delta (with weight decay), ``distill_key``'s in the one at
    momentum + delta; all trained weights have both gradients."""
    model = copy.deepcopy(model)
    trained = [p for p in model.parameters() if p.requires_grad]
    task_buf, kd_buf = {}, {}
    for seed in (0, 1):
        losses = model(**model.data_preprocessor(_batch(seed), True),
                       mode='loss')
        task_grads = _grads(losses[task_key], trained, True)
        distill_grads = _grads(losses[distill_key], trained)
        with torch.no_grad():
            for i, (p, gt, gk) in enumerate(
                    zip(trained, task_grads, distill_grads)):
                d = gt + 5e-4 * p
                task_buf[i] = d if seed == 0 else (MOMENTUM -
                                                   DELTA) * task_buf[i] + d
                p -= 0.05 * task_buf[i]
                kd_buf[i] = gk if seed == 0 else (MOMENTUM +
                                                  DELTA) * kd_buf[i] + gk
                p -= 0.05 * kd_buf[i]
    return trained


def test_student_loss_is_the_task_term_and_distill_losses_the_other():
    """Two real training steps: the student's cross-entropy
    (``student.loss``) goes to the task buffer, the KD loss
    (``distill.loss_kd``) to the distillation buffer. Float32, two steps:
    the reference rounds in another order; the terms the other way round
    lie 100 times further away."""
    model = _student_and_teacher()
    right = _two_reference_steps(model, 'student.loss', 'distill.loss_kd')
    swapped = _two_reference_steps(model, 'distill.loss_kd', 'student.loss')
    wrapper = _wrapper(model, lr=0.05, weight_decay=5e-4)
    for seed in (0, 1):
        logged = model.train_step(_batch(seed), wrapper)
        assert set(logged) == {'loss', 'student.loss', 'distill.loss_kd'}
    got = [p for p in model.parameters() if p.requires_grad]

    def gap(expected):
        return max((a - b).abs().max().item() for a, b in zip(got, expected))

    assert gap(right) < 5e-5
    assert gap(swapped) > 100 * 5e-5


# Mixed precision.


def _amp_model():
    model = _Toy(torch.float32)
    return model


@pytest.mark.parametrize('dtype', ['float16', 'bfloat16'])
def test_amp_step_is_the_update_of_the_unscaled_gradients(dtype):
    """Both losses backpropagated scaled, both gradient sets unscaled,
    then the DOT step: the update of the gradients without scaling."""
    model = _amp_model()
    start = copy.deepcopy(model)
    scale = 2.0**8
    wrapper = _wrapper(model, amp=True, dtype=dtype,
                       loss_scale=dict(init_scale=scale))
    with wrapper.optim_context(model):
        task, distill = model.losses()
        assert (model.inputs @ model.shared.t()).dtype == getattr(
            torch, dtype)
    wrapper.update_params_by_terms(task.float(), distill.float())

    with torch.autocast('cpu', dtype=getattr(torch, dtype)):
        task, distill = start.losses()
    params = list(start.parameters())
    grads_t = _grads(task.float(), params, True)
    grads_k = _grads(distill.float(), params)
    with torch.no_grad():
        for p, gt, gk in zip(params, grads_t, grads_k):
            if gt is not None:
                p -= 0.1 * (gt + 0.01 * p)
            if gk is not None:
                p -= 0.1 * (gk if gt is not None else gk + 0.01 * p)
    for name, param in start.named_parameters():
        torch.testing.assert_close(getattr(model, name), param, rtol=1e-6,
                                   atol=1e-7)
    assert wrapper.loss_scaler.scale == scale


@pytest.mark.parametrize('bad_term', ['task', 'distill'])
def test_amp_skips_the_whole_step_on_inf_in_either_term(bad_term):
    model = _amp_model()
    wrapper = _wrapper(
        model, amp=True, dtype='float16',
        loss_scale=dict(init_scale=256.0, growth_interval=2))
    with wrapper.optim_context(model):
        task, distill = model.losses()
    poison = model.shared.sum() * float('inf')
    before = copy.deepcopy(model)
    if bad_term == 'task':
        task = task + poison
    else:
        distill = distill + poison
    wrapper.update_params_by_terms(task.float(), distill.float())
    # Nothing moved, no buffer started, the scale backed off.
    for name, param in before.named_parameters():
        assert torch.equal(getattr(model, name), param), name
    assert not any(wrapper.optimizer.state.values())
    assert wrapper.loss_scaler.scale == 128.0
    # Two finite steps later it grows back (growth_interval=2).
    scales = []
    for _ in range(2):
        with wrapper.optim_context(model):
            task, distill = model.losses()
        wrapper.update_params_by_terms(task.float(), distill.float())
        scales.append(wrapper.loss_scaler.scale)
    assert scales == [128.0, 256.0]
    assert not torch.equal(model.shared, before.shared)


def test_a_distillation_step_under_amp_updates_both_buffers():
    """The quick-start model's train step in bf16 autocast with a loss
    scale: finite, scaled and unscaled, both buffers started."""
    model = _student_and_teacher()
    start = copy.deepcopy(model)
    wrapper = _wrapper(model, lr=0.05, amp=True, dtype='bfloat16',
                       loss_scale=dict(init_scale=256.0))
    logged = model.train_step(_batch(0), wrapper)
    assert all(torch.isfinite(v) for v in logged.values())
    assert wrapper.loss_scaler.scale == 256.0
    trained = [p for p in model.parameters() if p.requires_grad]
    assert all({'momentum_buffer', 'momentum_kd_buffer'} == set(
        wrapper.optimizer.state[p]) for p in trained)
    assert not torch.equal(model.architecture.head.fc.weight,
                           start.architecture.head.fc.weight)


def test_amp_defaults_follow_the_device():
    model = _amp_model()
    bf16 = _wrapper(model, amp=True)
    assert bf16.cast_dtype == torch.bfloat16 and bf16.loss_scaler is None
    fp16 = _wrapper(model, amp=True, dtype='float16')
    assert fp16.loss_scaler.scale == 2.0**16
    assert fp16.loss_scaler.state_dict()['growth_interval'] == 2000


# Resume.


def test_resumed_wrapper_continues_exactly():
    """Both buffers and the loss scale go through the state dict: 2 steps,
    save, a new model and wrapper loaded from it, 2 steps equal 4 steps
    in one go, bit for bit."""
    def step(model, wrapper):
        with wrapper.optim_context(model):
            task, distill = model.losses()
        wrapper.update_params_by_terms(task.float(), distill.float())

    options = dict(amp=True, dtype='float16',
                   loss_scale=dict(init_scale=256.0, growth_interval=3))
    whole = _amp_model()
    whole_wrapper = _wrapper(whole, **options)
    for _ in range(4):
        step(whole, whole_wrapper)

    first = _amp_model()
    first_wrapper = _wrapper(first, **options)
    for _ in range(2):
        step(first, first_wrapper)
    saved = io.BytesIO()
    torch.save({'model': first.state_dict(),
                'optim': first_wrapper.state_dict()}, saved)
    saved.seek(0)
    checkpoint = torch.load(saved)
    assert checkpoint['optim']['loss_scaler']['_growth_tracker'] == 2
    assert {k for s in checkpoint['optim']['state'].values() for k in s} == {
        'momentum_buffer', 'momentum_kd_buffer'}
    resumed = _amp_model()
    resumed.load_state_dict(checkpoint['model'])
    resumed_wrapper = _wrapper(resumed, **options)
    resumed_wrapper.load_state_dict(checkpoint['optim'])
    for _ in range(2):
        step(resumed, resumed_wrapper)
    for name, param in whole.named_parameters():
        assert torch.equal(getattr(resumed, name), param), name
    assert resumed_wrapper.loss_scaler.state_dict() == \
        whole_wrapper.loss_scaler.state_dict()


def test_resume_with_param_groups_keeps_the_base_lr():
    """With several param groups MMEngine's wrapper keeps base settings
    that its schedulers update and the logs show as ``base_lr``; they go
    through DOT's state dict too (a resumed run logged the initial lr)."""
    from mmengine.optim import MultiStepLR

    def build():
        model = _Toy()
        sgd = torch.optim.SGD([
            dict(params=[model.shared, model.task_only]),
            dict(params=[model.distill_only, model.unused], lr=0.01)
        ], lr=0.1, momentum=MOMENTUM)
        wrapper = DOTOptimWrapper(optimizer=sgd, delta=DELTA)
        return model, wrapper, MultiStepLR(wrapper, milestones=[2])

    model, wrapper, scheduler = build()
    for _ in range(3):
        with wrapper.optim_context(model):
            task, distill = model.losses()
        wrapper.update_params_by_terms(task, distill)
        scheduler.step()
    assert wrapper.get_lr()['base_lr'] == pytest.approx([0.01])
    _, resumed, _ = build()
    resumed.load_state_dict(copy.deepcopy(wrapper.state_dict()))
    assert resumed.get_lr() == wrapper.get_lr()


def test_a_scheduled_momentum_out_of_range_stops_the_step():
    """A momentum scheduler may move the momentum where ``momentum + delta``
    reaches 1 (a distillation buffer that grows): the step refuses it."""
    model = _Toy()
    wrapper = _wrapper(model)
    wrapper.optimizer.param_groups[0]['momentum'] = 0.95
    with wrapper.optim_context(model):
        task, distill = model.losses()
    with pytest.raises(ValueError, match=r'momentum 0\.95 -/\+ delta 0\.075 '
                       r'gives the momenta 0\.875 and 1\.025.*momentum '
                       r'scheduler'):
        wrapper.update_params_by_terms(task, distill)


# What it refuses.


@pytest.mark.parametrize('optimizer, message', [
    (lambda p: torch.optim.Adam(p, lr=0.1),
     'the base optimizer must be torch.optim.SGD with momentum, got Adam'),
    (lambda p: torch.optim.SGD(p, lr=0.1),
     'param group 0 has momentum 0; DOT needs SGD with momentum > 0'),
    (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.95),
     'momentum 0.95 -/+ delta 0.075 gives the momenta 0.875 and 1.025'),
    (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
     'sets nesterov=True, which DOT does not define'),
])
def test_unsupported_base_optimizer_is_named(optimizer, message):
    with pytest.raises(ValueError, match=message.replace('.', r'\.')
                       .replace('(', r'\(').replace('+', r'\+')):
        DOTOptimWrapper(optimizer=optimizer(_Toy().parameters()))


@pytest.mark.parametrize('option, message', [
    (dict(accumulative_counts=2), 'accumulative_counts must be 1, got 2'),
    (dict(clip_grad=dict(max_norm=5)), 'expected None'),
    (dict(loss_scale='dynamic'), 'apply with amp=True only'),
])
def test_unsupported_options_are_named(option, message):
    with pytest.raises(ValueError, match=message):
        _wrapper(_Toy(), **option)


def test_a_summed_loss_is_refused():
    model = _Toy()
    with pytest.raises(TypeError, match='handed one summed loss'):
        _wrapper(model).update_params(sum(model.losses()))


def test_models_without_losses_by_term_are_refused():
    wrapper = _wrapper(_Toy())
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        student = MODELS.build(Config.fromfile(KD_CONFIG).model.architecture)
        self_distill = MODELS.build(Config.fromfile(
            f'{QUICK}/uskd_resnet18-w16_1xb32_digits.py').model)
    for model, name in ((student, 'ImageClassifier'),
                        (self_distill, 'SelfDistillation')):
        with pytest.raises(ValueError, match=f'the model {name} gives one '
                           'summed loss, not its losses by term'):
            wrapper.check_model(model)
    wrapper.check_model(_student_and_teacher())


def test_quick_start_selects_dot_on_the_kd_quick_start():
    dot, kd = Config.fromfile(DOT_CONFIG), Config.fromfile(KD_CONFIG)
    assert dot.optim_wrapper == dict(kd.optim_wrapper, type='DOTOptimWrapper',
                                     delta=0.075)
    assert dot.model == kd.model


def test_a_run_resumed_from_its_checkpoint_equals_the_uninterrupted_one(
        tmp_path, random_teacher_ckpt):
    """The DOT quick start through MMEngine's checkpoints: 2 epochs in one
    go, and epoch 2 again from the epoch-1 checkpoint: the same weights and
    buffers, bit for bit."""
    from mmcls_kd.checkpoint import load_checkpoint_file
    from tests.reliability.helpers import train_in_process
    options = {
        'model.teacher_ckpt': random_teacher_ckpt,
        'train_dataloader.dataset.indices': 64,
        'train_cfg.max_epochs': 2,
    }
    whole, resumed = tmp_path / 'whole', tmp_path / 'resumed'
    train_in_process(DOT_CONFIG, whole, options)
    train_in_process(DOT_CONFIG, resumed, {
        **options, 'resume': True,
        'load_from': str(whole / 'epoch_1.pth')})
    # It started at epoch 2.
    assert not (resumed / 'epoch_1.pth').exists()
    final = [load_checkpoint_file(str(d / 'epoch_2.pth'))
             for d in (whole, resumed)]
    for key, value in final[0]['state_dict'].items():
        assert torch.equal(final[1]['state_dict'][key], value), key
    states = [f['optimizer']['state'] for f in final]
    assert states[0].keys() == states[1].keys()
    for index, buffers in states[0].items():
        assert set(buffers) == {'momentum_buffer', 'momentum_kd_buffer'}
        for name, buffer in buffers.items():
            assert torch.equal(states[1][index][name], buffer), (index, name)
