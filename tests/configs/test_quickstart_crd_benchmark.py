"""The quick starts of the CRD benchmark's feature methods (FitNet, AT, SP,
CC, VID, PKT) train in a real runner, their connectors with the student;
a recorded feature of the wrong shape fails at the first step, naming the
recorder, the shape expected and the shape received."""
import math

import pytest
import torch

from mmcls_kd.apis import build_runner, load_config
from tests.configs.test_quickstart_feature_kd import _batch, _config, _model
from tests.reliability.helpers import scalars

LOSS_KEYS = {
    'at': ['loss_at1', 'loss_at2', 'loss_at3'],
    'cc': ['loss_cc'],
    'fitnet': ['loss_fitnet'],
    'pkt': ['loss_pkt'],
    'sp': ['loss_sp'],
    'vid': ['loss_vid1', 'loss_vid2', 'loss_vid3', 'loss_vid4'],
}


def _state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


@pytest.mark.slow
@pytest.mark.parametrize('method', sorted(LOSS_KEYS))
def test_quick_start_trains_one_iteration(method, tmp_path,
                                          random_teacher_ckpt):
    cfg = load_config(_config(method), {
        'work_dir': str(tmp_path),
        'experiment_name': method,
        'model.teacher_ckpt': random_teacher_ckpt,
        # One batch of 32: one iteration.
        'train_dataloader.dataset.indices': 32,
        'train_cfg.max_epochs': 1,
        'val_cfg': None, 'val_dataloader': None, 'val_evaluator': None,
        'default_hooks.logger.interval': 1,
    })
    runner = build_runner(cfg)
    model = runner.model
    teacher, connectors = _state(model.teacher), _state(
        model.distiller.connectors)
    runner.train()
    rows = list(scalars(tmp_path).values())
    assert len(rows) == 1
    for row in rows:
        for key in LOSS_KEYS[method]:
            value = row[f'distill.{key}']
            assert math.isfinite(value) and value > 0, (key, value)
        assert math.isfinite(row['student.loss'])
    after = _state(model.teacher)
    assert all(torch.equal(teacher[k], after[k]) for k in teacher)
    # The learnable parts (regressors, embeddings, VID's variances) train.
    trained = _state(model.distiller.connectors)
    floats = [k for k in connectors if connectors[k].is_floating_point()]
    assert bool(floats) == (method in ('cc', 'fitnet', 'vid'))
    assert all(not torch.equal(connectors[k], trained[k]) for k in floats
               if not k.endswith('running_var'))


# Student ResNet_CIFAR-18 at width 16 on 8x8 digits: layer1-4 give
# (16, 8, 8), (32, 4, 4), (64, 2, 2), (128, 1, 1); the neck (128,) in a
# tuple.
_RECORDERS = 'model.distiller.student_recorders'
_MAPPINGS = 'model.distiller.loss_forward_mappings'


@pytest.mark.parametrize('method,changes,message', [
    ('fitnet', {f'{_RECORDERS}.feat.source': 'backbone.layer1'},
     r"loss_fitnet: input preds_S from the student recorder 'feat' "
     r"\(backbone\.layer1\) through the connector 'fitnet': FitNetRegressor "
     r'expects an \(N, 32, H, W\) feature, got \(4, 16, 8, 8\)'),
    ('at', {f'{_RECORDERS}.stage2.source': 'backbone.layer1'},
     r"loss_at2 \(preds_S \(4, 16, 8, 8\) from the student recorder "
     r"'stage2' \(backbone\.layer1\); preds_T \(4, 64, 4, 4\) from the "
     r"teacher recorder 'stage2' \(backbone\.layer2\)\): ATLoss: preds_S "
     r'must have the shape \(4, \*, 4, 4\), got \(4, 16, 8, 8\)'),
    ('sp', {f'{_RECORDERS}.feat.source': 'neck'},
     r"loss_sp \(preds_S \[\(4, 128\)\] from the student recorder 'feat' "
     r'\(neck\); .*\): SPLoss: preds_S must have the shape \(4, \*\), got '
     r'\[\(4, 128\)\]'),
    ('cc', {f'{_RECORDERS}.feat.source': 'backbone.layer3',
            f'{_MAPPINGS}.loss_cc.preds_S.data_idx': None},
     r"loss_cc: input preds_S from the student recorder 'feat' "
     r"\(backbone\.layer3\) through the connector 'cc_student': "
     r'LinearEmbedding expects a feature of 128 values per sample, got '
     r'\(4, 64, 2, 2\)'),
    ('vid', {f'{_RECORDERS}.stage2.source': 'backbone.layer3'},
     r"loss_vid2: input preds_S from the student recorder 'stage2' "
     r"\(backbone\.layer3\) through the connector 'vid2': VIDRegressor "
     r'expects an \(N, 32, H, W\) feature, got \(4, 64, 2, 2\)'),
    ('pkt', {f'{_MAPPINGS}.loss_pkt.preds_S.data_idx': None},
     r"loss_pkt \(preds_S \[\(4, 128\)\] from the student recorder 'feat' "
     r'\(neck\); .*\): PKTLoss: preds_S must have the shape \(4, \*\), '
     r'got \[\(4, 128\)\]'),
])
def test_a_misrecorded_feature_names_its_recorder(method, changes, message):
    model = _model(method, **changes)
    with pytest.raises(ValueError, match=message):
        model(*_batch(), mode='loss')


def test_a_data_index_into_a_tensor_names_the_recorder():
    model = _model('pkt', **{f'{_RECORDERS}.feat.source': 'backbone.layer4'})
    with pytest.raises(ValueError, match=r"loss_pkt: input preds_S from the "
                       r"student recorder 'feat' \(backbone\.layer4\): When "
                       r'data_idx is not None'):
        model(*_batch(), mode='loss')
