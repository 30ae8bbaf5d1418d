"""The feature-distillation quick starts (RKD, CRD, OFD, ReviewKD) build and
train, and a connector that does not fit its recorded feature fails at the
first step with the shapes."""
import glob
import json
import math
import os.path as osp
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from mmcls_kd.registry import DATASETS, MODELS
from tests.conftest import QUICK, run_tool

LOSS_KEYS = {
    'rkd': ['loss_rkd_distance', 'loss_rkd_angle'],
    'crd': ['loss_crd'],
    'ofd': ['loss_ofd1', 'loss_ofd2', 'loss_ofd3', 'loss_ofd4'],
    'reviewkd': ['loss_hcl'],
}


def _config(method):
    return osp.join(QUICK,
                    f'{method}_resnet34-w32_resnet18-w16_1xb32_digits.py')


def _train_rows(work_dir):
    rows = []
    for path in sorted(
            glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            rows += [json.loads(line) for line in f]
    return [row for row in rows if 'loss' in row]


@pytest.fixture(scope='module')
def trained(tmp_path_factory, random_teacher_ckpt):
    """Two training iterations of each quick start, run side by side."""
    root = tmp_path_factory.mktemp('feature_kd')

    def train(method):
        work = root / method
        run_tool([
            'tools/train.py', _config(method), '--work-dir',
            str(work), '--cfg-options',
            f'model.teacher_ckpt={random_teacher_ckpt}',
            'train_dataloader.dataset.indices=64', 'train_cfg.max_epochs=1',
            # The epoch ends with a validation: keep it small.
            'val_dataloader.dataset.indices=64',
            'default_hooks.logger.interval=1'
        ])
        return _train_rows(work)

    with ThreadPoolExecutor(len(LOSS_KEYS)) as pool:
        results = dict(zip(LOSS_KEYS, pool.map(train, LOSS_KEYS)))
    return results


@pytest.mark.slow
@pytest.mark.parametrize('method', sorted(LOSS_KEYS))
def test_quick_start_trains_two_iterations(method, trained):
    rows = trained[method]
    assert len(rows) == 2
    for row in rows:
        for key in LOSS_KEYS[method]:
            value = row[f'distill.{key}']
            assert math.isfinite(value) and value > 0
        assert math.isfinite(row['student.loss'])


def _model(method, **changes):
    cfg = Config.fromfile(_config(method))
    cfg.model.teacher_ckpt = None
    cfg.model.allow_random_teacher = True
    cfg.merge_from_dict(changes)
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        return MODELS.build(cfg.model)


def _batch(num=4):
    samples = []
    for i in range(num):
        sample = DataSample(metainfo=dict(sample_idx=i))
        sample.set_gt_label(i % 10)
        samples.append(sample)
    return torch.randn(num, 1, 8, 8), samples


@pytest.mark.parametrize('method,changes,message', [
    ('ofd', {'model.distiller.connectors.ofd2.in_channels': 16},
     r'OFDConnector expects an \(N, 16, H, W\) feature, got \(4, 32, 4, 4\)'),
    ('ofd', {'model.distiller.connectors.ofd2.out_channels': 32},
     r'connected student feature \(4, 32, 4, 4\) does not fit the teacher '
     r'feature \(4, 64, 4, 4\)'),
    ('crd', {'model.distiller.connectors.crd_teacher.in_channels': 128},
     r'CRDEmbedding expects a feature of 128 values per sample, got '
     r'\(4, 256\)'),
    ('reviewkd', {'model.distiller.connectors.abf.in_channels':
                  [16, 32, 64, 64, 128]},
     r'channels \[16, 32, 64, 64, 128\], got shapes \[\(4, 16, 8, 8\), '
     r'\(4, 32, 4, 4\), \(4, 64, 2, 2\), \(4, 128, 1, 1\), \(4, 128\)\]'),
    ('reviewkd', {'model.distiller.connectors.abf.out_channels':
                  [32, 64, 64, 256, 256]},
     r'student feature 2 \(4, 64, 2, 2\) does not fit teacher feature 2 '
     r'\(4, 128, 2, 2\)'),
])
def test_misfit_connector_names_the_shapes(method, changes, message):
    model = _model(method, **changes)
    inputs, samples = _batch()
    with pytest.raises(ValueError, match=message):
        model(inputs, samples, mode='loss')


def test_ofd_records_pre_relu_features_and_the_loaded_batchnorm(
        random_teacher_ckpt):
    cfg = Config.fromfile(_config('ofd'))
    cfg.model.teacher_ckpt = random_teacher_ckpt
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        model = MODELS.build(cfg.model)
    stage_out = {}
    for name, net in (('student', model.student), ('teacher', model.teacher)):
        net.backbone.layer2.register_forward_hook(
            lambda module, args, out, name=name: stage_out.update({name: out}))
    model(*_batch(), mode='loss')
    distiller = model.distiller
    for name, manager, recorder in (
            ('student', distiller.student_recorders, 's2'),
            ('teacher', distiller.teacher_recorders, 't2')):
        pre_relu = manager.get_recorder(recorder).get_record_data(1, 0)
        assert (pre_relu < 0).any()
        assert torch.equal(torch.relu(pre_relu), stage_out[name])
    weight = distiller.teacher_recorders.get_recorder(
        'bn2_w').get_record_data()
    assert weight is model.teacher.backbone.layer2[3].bn2.weight
    saved = torch.load(random_teacher_ckpt)['state_dict']
    assert torch.equal(weight, saved['backbone.layer2.3.bn2.weight'])


def test_crd_batch_brings_its_indices_to_the_loss():
    cfg = Config.fromfile(_config('crd'))
    cfg.train_dataloader.dataset.indices = 64
    model = _model('crd')
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
    batch = model.data_preprocessor(
        pseudo_collate([dataset[i] for i in (3, 10, 42, 63)]), True)
    loss = model.distiller.distill_losses['loss_crd']
    before = loss.memory_student.clone()
    model(**batch, mode='loss')
    samples = model.distiller.student_recorders.get_recorder(
        'samples').get_record_data(data_idx=1)
    assert [s.sample_idx for s in samples] == [3, 10, 42, 63]
    assert all(s.contrast_idx.shape == (1025, ) for s in samples)
    changed = (loss.memory_student != before).any(dim=1).nonzero().flatten()
    assert changed.tolist() == [3, 10, 42, 63]
