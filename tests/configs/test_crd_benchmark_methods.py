"""The CRD benchmark's feature methods (FitNet, AT, SP, CC, VID, PKT): the
quick starts train in a real runner, their connectors with the student; a
recorded feature of the wrong shape fails at the first step, naming the
recorder, the shape expected and the shape received; the CIFAR-100 configs
run the benchmark's recipe."""
import math
import os.path as osp

import pytest
import torch

from mmcls_kd.apis import build_runner, load_config
from tests.configs.test_quickstart_feature_kd import _batch, _config, _model
from tests.conftest import REPO, parsed_config
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


# The CIFAR-100 recipe of RepDistiller's scripts/run_cifar_distill.sh and
# train_student.py, written from them: CE weight 1 (-r 1), KD weight 0
# (-a 0, so no KD loss), the method's weight (-b) on its features
# (hint_layer 2 for FitNet; feat[1:-1] for AT and VID; feat[-2] for SP; the
# pooled feat[-1] for CC and PKT), batch 64, lr 0.05, x0.1 at 150/180/210 of
# 240 epochs, CRD's released teachers.
RESNET_STAGES = [f'backbone.layer{i}' for i in (1, 2, 3)]
VGG_STAGES = [f'backbone.layer{i}' for i in (2, 3, 4, 5)]
BENCHMARK = {  # method -> (loss type, weight, ResNet sources, VGG sources)
    'fitnet': ('FitNetLoss', 100.0, ['backbone.layer2'], ['backbone.layer3']),
    'at': ('ATLoss', 1000.0, RESNET_STAGES, VGG_STAGES),
    'sp': ('SPLoss', 3000.0, ['backbone.layer3'], ['backbone.layer5']),
    'cc': ('CCLoss', 0.02, ['neck'], ['neck']),
    'vid': ('VIDLoss', 1.0, RESNET_STAGES, VGG_STAGES),
    'pkt': ('PKTLoss', 30000.0, ['neck'], ['neck']),
}
PAIRS = {  # pair -> (teacher checkpoint, column of its sources above)
    'resnet32x4_resnet8x4': ('checkpoints/cifar100/resnet32x4.pth', 0),
    'vgg13_vgg8': ('checkpoints/cifar100/vgg13.pth', 1),
}


@pytest.mark.parametrize('pair', sorted(PAIRS))
@pytest.mark.parametrize('method', sorted(BENCHMARK))
def test_cifar100_configs_run_the_benchmark_recipe(method, pair):
    cfg = parsed_config(
        osp.join(REPO, 'configs', method,
                 f'{method}_{pair}_1xb64_cifar100.py'))
    loss_type, weight, *columns = BENCHMARK[method]
    teacher_ckpt, column = PAIRS[pair]
    sources = columns[column]
    distiller = cfg.model.distiller
    losses = distiller.distill_losses
    assert {(loss.type, loss.loss_weight) for loss in losses.values()} == {
        (loss_type, weight)}
    assert len(losses) == len(sources)
    for side in ('student_recorders', 'teacher_recorders'):
        recorded = sorted(r.source for r in distiller[side].values())
        assert recorded == sorted(sources), side
    assert cfg.model.architecture.head.loss.loss_weight == 1.0
    assert cfg.model.teacher_ckpt == teacher_ckpt
    assert cfg.train_dataloader.batch_size == 64
    assert cfg.optim_wrapper.optimizer.lr == 0.05
    assert list(cfg.param_scheduler.milestones) == [150, 180, 210]
    assert cfg.train_cfg.max_epochs == 240
    if method == 'cc':
        assert losses.loss_cc.get('mode', 'repdistiller') == 'repdistiller'
        assert {c.embed_dim for c in distiller.connectors.values()} == {128}
