"""InitPhaseHook on FT's quick start with real runners: the phase trains
only the paraphraser, with the reconstruction loss alone, and leaves the
run's schedule alone; afterwards the paraphraser stays as trained. A run
interrupted during the phase or right after it and resumed ends with the
weights of the uninterrupted run, bit for bit."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook

from mmcls_kd.apis import build_model, build_runner, load_config
from mmcls_kd.apis.runner_utils import enable_amp_everywhere
from mmcls_kd.engine import DeviceAmpOptimWrapper
from mmcls_kd.engine.hooks import InitPhaseHook
from tests.conftest import QUICK, parsed_config
from tests.reliability.helpers import load_own_checkpoint, scalars

FT = osp.join(QUICK, 'ft_resnet34-w32_resnet18-w16_1xb32_digits.py')
PARAPHRASER = 'distiller.connectors.ft_paraphraser.'
TRANSLATOR = 'distiller.connectors.ft_translator.'


class _Crash(Exception):
    pass


class _CrashAt(Hook):
    """Raise at the ``save``-th checkpoint save (before it is written) or
    when training iteration ``iteration`` (1-based) starts."""

    priority = 'LOWEST'

    def __init__(self, save=None, iteration=None):
        self.save, self.iteration, self.saves = save, iteration, 0

    def before_save_checkpoint(self, runner, checkpoint):
        self.saves += 1
        if self.saves == self.save:
            raise _Crash

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == self.iteration:
            raise _Crash


class _Snapshots(Hook):
    """The model's state when training starts and when its first
    iteration (after the initialisation phase) starts."""

    priority = 'LOWEST'

    def __init__(self):
        self.states = {}

    def _keep(self, name, runner):
        if name not in self.states:
            self.states[name] = {
                k: v.clone()
                for k, v in runner.model.state_dict().items()
                if not k.startswith('teacher.')
            }

    def before_train(self, runner):
        self._keep('start', runner)

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._keep('after_init', runner)


def _train(work_dir, teacher, *hooks, resume=False, amp=False, **extra):
    cfg = load_config(FT, {
        'work_dir': str(work_dir),
        'model.teacher_ckpt': teacher,
        'train_dataloader.dataset.indices': 64,
        'train_cfg.max_epochs': 1,
        'val_cfg': None, 'val_dataloader': None, 'val_evaluator': None,
        'default_hooks.logger.interval': 1,
        'custom_hooks.0.epochs': 2,
        'randomness': dict(seed=0),
        'resume': resume,
        **extra
    })
    if amp:
        enable_amp_everywhere(cfg)
    runner = build_runner(cfg)
    for hook in hooks:
        runner.register_hook(hook)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        runner.train()
    finally:
        torch.set_num_threads(threads)
    return runner


def _changed(before, after):
    return {k for k in before
            if before[k].is_floating_point() and not torch.equal(
                before[k], after[k])}


@pytest.fixture(scope='module')
def whole(tmp_path_factory, random_teacher_ckpt):
    work_dir = tmp_path_factory.mktemp('whole')
    snapshots = _Snapshots()
    _train(work_dir, random_teacher_ckpt, snapshots)
    return work_dir, snapshots.states


def test_phase_trains_the_paraphraser_alone_then_the_rest(whole):
    work_dir, states = whole
    start, after_init = states['start'], states['after_init']
    final = load_own_checkpoint(work_dir / 'epoch_1.pth')['state_dict']
    in_phase = _changed(start, after_init)
    assert in_phase and all(k.startswith(PARAPHRASER) for k in in_phase)
    # The student ran in eval mode: its BatchNorm statistics too are as
    # they were.
    assert all(torch.equal(start[k], after_init[k]) for k in start
               if k.startswith('architecture.'))
    after = _changed(after_init, final)
    assert not any(k.startswith(PARAPHRASER) for k in after)
    assert any(k.startswith(TRANSLATOR) for k in after)
    assert any(k.startswith('architecture.backbone.') for k in after)


def test_phase_leaves_the_schedule_and_losses_of_the_run(whole):
    work_dir, _ = whole
    init = load_own_checkpoint(work_dir / 'init_epoch_2.pth')
    assert not (work_dir / 'init_epoch_1.pth').exists()
    assert (init['meta']['epoch'], init['meta']['iter']) == (0, 0)
    # The phase is over: its optimizer's state is no longer kept.
    assert init['init_phase'] == dict(epochs_done=2)
    rows = scalars(work_dir)
    assert sorted(rows) == [1, 2]  # the run's two iterations, no more
    assert rows[1]['lr'] == 0.05  # the cosine schedule's first value
    assert all('distill.loss_ft' in row and 'distill.loss_ft_rec' not in row
               for row in rows.values())
    log = glob.glob(str(work_dir / '*' / '*.log'))[0]
    text = open(log).read()
    # The phase's own optimizer: the reference code's lr 0.01.
    assert text.count('Initialisation phase epoch [2/2] done, mean lr: '
                      '0.01 ') == 1
    assert 'distill.loss_ft_rec' in text.split('Epoch(train)')[0]


@pytest.mark.parametrize('crash', [
    dict(save=2),  # during the phase's second epoch
    dict(iteration=1),  # after the phase, before the first iteration
])
def test_resumed_run_equals_the_uninterrupted_one(tmp_path, whole, crash,
                                                  random_teacher_ckpt):
    with pytest.raises(_Crash):
        _train(tmp_path, random_teacher_ckpt, _CrashAt(**crash))
    last = (tmp_path / 'last_checkpoint').read_text().strip()
    expected = 'init_epoch_1.pth' if 'save' in crash else 'init_epoch_2.pth'
    assert osp.basename(last) == expected
    runner = _train(tmp_path, random_teacher_ckpt, resume=True)
    hook = next(h for h in runner.hooks if isinstance(h, InitPhaseHook))
    assert hook.epochs_done == 2
    whole_dir, _ = whole
    final = load_own_checkpoint(tmp_path / 'epoch_1.pth')['state_dict']
    reference = load_own_checkpoint(whole_dir / 'epoch_1.pth')['state_dict']
    assert final.keys() == reference.keys()
    for key in reference:
        assert torch.equal(final[key], reference[key]), key


def test_phase_follows_auto_scale_lr_and_amp(tmp_path, random_teacher_ckpt):
    """``--auto-scale-lr`` and ``--amp`` reach the phase's own optimizer
    wrapper as they reach the run's: at 32 images a batch against a base of
    64 both learning rates are halved (0.01 -> 0.005, 0.05 -> 0.025), and
    both wrappers train in mixed precision."""
    runner = _train(tmp_path, random_teacher_ckpt, amp=True,
                    auto_scale_lr=dict(enable=True, base_batch_size=64),
                    **{'custom_hooks.0.epochs': 1})
    hook = next(h for h in runner.hooks if isinstance(h, InitPhaseHook))
    assert isinstance(hook.optim_wrapper, DeviceAmpOptimWrapper)
    assert isinstance(runner.optim_wrapper, DeviceAmpOptimWrapper)
    text = open(glob.glob(str(tmp_path / '*' / '*.log'))[0]).read()
    assert text.count('Initialisation phase epoch [1/1] done, mean lr: '
                      '0.005 ') == 1
    assert scalars(tmp_path)[1]['lr'] == pytest.approx(0.025)


def test_phase_names_an_unknown_module_or_loss():
    cfg = parsed_config(FT)
    cfg.model.teacher_ckpt = None
    cfg.model.allow_random_teacher = True
    model = build_model(cfg)
    hook = InitPhaseHook(1, ['distiller.connectors.ft_paraphraser'],
                         ['loss_ft_recon'], dict(optimizer=dict(type='SGD',
                                                                lr=0.1)))
    with pytest.raises(ValueError, match=r"losses \['loss_ft_recon'\] are "
                       r'not distillation losses'):
        hook._check_losses(model.distiller)
    hook.trainable = ['distiller.connectors.ft_paraphrasr']
    with pytest.raises(ValueError, match=r"'distiller.connectors."
                       r"ft_paraphrasr' is not in the model; nearest: "
                       r'distiller.connectors.ft_paraphraser'):
        hook._modules(model)
    with pytest.raises(ValueError, match='computes no loss'):
        InitPhaseHook(1, ['architecture'], [], {})


@pytest.mark.slow
def test_phase_config_runs_on_two_ranks(tmp_path, random_teacher_ckpt):
    """The configs with a phase set ``find_unused_parameters`` (the frozen
    modules get no gradient under DDP, which the hook otherwise refuses):
    the FT quick start trains on 2 gloo ranks through tools/dist_train.sh,
    the phase first."""
    from tests.conftest import free_port
    from tests.reliability.helpers import dist_train
    dist_train(FT, tmp_path, free_port(), [
        f'model.teacher_ckpt={random_teacher_ckpt}',
        'train_dataloader.dataset.indices=64', 'train_cfg.max_epochs=1'
    ])
    log = open(glob.glob(str(tmp_path / '*' / '*.log'))[0]).read()
    assert 'Initialisation phase epoch [1/1] done' in log
    assert (tmp_path / 'epoch_1.pth').exists()
