"""--cfg-options keys that nothing would read stop the run before it starts,
naming the key and the nearest existing ones; the overrides users and the
reproducer rely on pass."""
import os.path as osp

import pytest

from mmcls_kd.apis import load_config
from mmcls_kd.engine.overrides import check_overrides
from tests.conftest import KD_CONFIG as KD
from tests.conftest import QUICK, parsed_config

NKD = osp.join(QUICK, 'nkd_resnet34-w32_resnet18-w16_1xb32_digits.py')
BASELINE = osp.join(QUICK, 'resnet18-w16_1xb32_digits.py')
DOT = osp.join(QUICK, 'dot_resnet34-w32_resnet18-w16_1xb32_digits.py')


@pytest.mark.parametrize(
    'key, expected',
    [
        ('lr', r"the top level has no key 'lr'"),
        ('max_epochs', r"the top level has no key 'max_epochs'"),
        ('env_cfg.cudnn_benchmarkk', r'nearest: cudnn_benchmark'),
        # Fails at the first save without the check, an epoch in.
        ('default_hooks.checkpoint.intervall',
         r"checkpoint \(a CheckpointHook\) has no key 'intervall'.*"
         r'nearest: interval'),
        # A loss of another method: the config's loss is named instead of a
        # KeyError without the path.
        ('model.distiller.distill_losses.loss_kd.tau',
         r"distill_losses has no key 'loss_kd'.*nearest: loss_nkd"),
        ('model.distiller.distill_losses.loss_nkd.temperature',
         r"loss_nkd \(a NKDLoss\) has no key 'temperature'"),
        ('train_dataloader.dataset.pipeline.7.scale',
         r'pipeline is a list of 2 items'),
    ])
def test_an_override_that_changes_nothing_is_refused(key, expected):
    with pytest.raises(ValueError, match=expected):
        check_overrides(parsed_config(NKD), {key: 1})


@pytest.mark.parametrize(
    'key',
    [
        # What the reproducer passes, and the teacher of a pair.
        'randomness.seed',
        'optim_wrapper.accumulative_counts',
        'model.teacher_ckpt',
        # Existing keys, at any depth.
        'train_cfg.max_epochs',
        'model.distiller.distill_losses.loss_nkd.gamma',
        'train_dataloader.dataset.pipeline.0.padding',
        # Arguments of the component a new key lands in: its own, its
        # parents' through **kwargs (LinearClsHead -> ClsHead) and those a
        # hook forwards (CheckpointHook -> Runner.save_checkpoint).
        'default_hooks.checkpoint.save_last',
        'default_hooks.checkpoint.save_param_scheduler',
        'model.architecture.head.topk',
        'env_cfg.dist_cfg.timeout',
        'train_dataloader.pin_memory',
        'load_from',
    ])
def test_an_override_the_run_reads_passes(key):
    check_overrides(parsed_config(NKD), {key: 1})


def test_a_teacher_checkpoint_on_a_model_without_a_teacher_is_refused():
    with pytest.raises(ValueError,
                       match=r"model \(a ImageClassifier\) has "
                       r"no key 'teacher_ckpt'"):
        check_overrides(parsed_config(BASELINE), {'model.teacher_ckpt': 'x'})


def test_every_refused_key_is_listed_at_once():
    with pytest.raises(ValueError) as error:
        check_overrides(parsed_config(NKD), {'lr': 1, 'epochs': 2})
    assert "'lr'" in str(error.value) and "'epochs'" in str(error.value)


def test_an_overridden_type_decides_what_its_siblings_may_set():
    """Any distillation config trains with DOT from the command line:
    ``optim_wrapper.type`` is set first, then ``delta`` is an argument of
    the wrapper the run builds; without the type it is refused."""
    with pytest.raises(ValueError,
                       match=r"optim_wrapper has no key 'delta'"):
        check_overrides(parsed_config(KD), {'optim_wrapper.delta': 0.075})
    with pytest.raises(ValueError,
                       match=r"optim_wrapper \(a DOTOptimWrapper\) has no "
                       r"key 'deltaa'.*nearest: delta"):
        check_overrides(parsed_config(KD), {
            'optim_wrapper.deltaa': 0.075,
            'optim_wrapper.type': 'DOTOptimWrapper'
        })
    overridden = load_config(KD, {
        'optim_wrapper.type': 'DOTOptimWrapper',
        'optim_wrapper.delta': 0.075
    })
    assert overridden.optim_wrapper == load_config(DOT).optim_wrapper
    assert overridden.optim_wrapper.type == 'DOTOptimWrapper'
