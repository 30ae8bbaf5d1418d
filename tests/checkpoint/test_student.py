"""extract_student: the student of a distillation checkpoint, alone, gives
the same logits as inside the algorithm; its backbone loads into MMPretrain's
ResNet-50 by ``init_cfg`` with no key left over; bad inputs say what they
hold."""
import copy
import hashlib
import logging
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmpretrain.models import ResNet
from mmpretrain.structures import DataSample

from mmcls_kd.apis import model_config
from mmcls_kd.checkpoint.student import (extract_student, save_student,
                                         split_student)
from mmcls_kd.registry import MODELS
from tests.conftest import KD_CONFIG, QUICK, REPO, STUDENT_CONFIG

USKD_CONFIG = osp.join(QUICK, 'uskd_resnet18-w16_1xb32_digits.py')
USKD_IN1K = osp.join(REPO, 'configs', 'uskd', 'uskd_resnet18_8xb32_in1k.py')
DATASET_META = {'classes': tuple('0123456789')}


def build(model_cfg):
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        model = MODELS.build(copy.deepcopy(model_cfg))
    model.init_weights()
    return model


def algorithm_cfg(path, teacher_ckpt=None):
    model = model_config(Config.fromfile(path))
    if teacher_ckpt:
        model.teacher_ckpt = teacher_ckpt
    return model


def randomize_norms(model, seed=0):
    """Non-trivial BatchNorm statistics and affine parameters, so that
    eval-mode logits depend on every tensor of the state dict."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                size = module.num_features
                normal = torch.randn(2, size, generator=generator)
                uniform = torch.rand(2, size, generator=generator) + 0.5
                module.running_mean.copy_(normal[0])
                module.running_var.copy_(uniform[0])
                module.weight.copy_(uniform[1])
                module.bias.copy_(0.1 * normal[1])
    return model


def save_run_checkpoint(model, path):
    """What MMEngine's CheckpointHook writes, bookkeeping included."""
    torch.save({
        'meta': {'epoch': 3, 'iter': 6, 'dataset_meta': DATASET_META,
                 'cfg': 'model = dict()', 'seed': 0},
        'state_dict': model.state_dict(),
        'message_hub': {'log_scalars': {}, 'runtime_info': {'epoch': 3}},
        'optimizer': {'state': {}, 'param_groups': [{'lr': 0.1}]},
        'param_schedulers': [],
    }, path)
    return str(path)


def uskd_run(folder):
    """A USKD checkpoint of the quick-start student and the algorithm."""
    model = randomize_norms(build(algorithm_cfg(USKD_CONFIG))).eval()
    return save_run_checkpoint(model, folder / 'epoch_3.pth'), model


def kd_run(folder, teacher_ckpt):
    """A teacher-KD checkpoint of the quick-start pair and the algorithm."""
    model = build(algorithm_cfg(KD_CONFIG, teacher_ckpt))
    model = randomize_norms(model, seed=1).eval()
    return save_run_checkpoint(model, folder / 'epoch_3.pth'), model


@pytest.fixture(scope='module')
def uskd_checkpoint(tmp_path_factory):
    return uskd_run(tmp_path_factory.mktemp('uskd'))


@pytest.fixture(scope='module')
def kd_checkpoint(tmp_path_factory, random_teacher_ckpt):
    return kd_run(tmp_path_factory.mktemp('kd'), random_teacher_ckpt)


def digits(n=4, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 1, 8, 8), generator=generator).float()


def student_classifier(state_dict):
    classifier = build(model_config(Config.fromfile(STUDENT_CONFIG)))
    classifier.load_state_dict(state_dict, strict=True)
    return classifier.eval()


@pytest.mark.parametrize('case', ['uskd', 'kd'])
def test_classifier_gives_the_students_logits(case, uskd_checkpoint,
                                              kd_checkpoint, tmp_path):
    path, algorithm = uskd_checkpoint if case == 'uskd' else kd_checkpoint
    out = str(tmp_path / 'student.pth')
    save_student(path, out, mode='classifier')
    converted = torch.load(out, weights_only=True)
    classifier = student_classifier(converted['state_dict'])

    batch = dict(inputs=list(digits()),
                 data_samples=[DataSample() for _ in range(4)])
    with torch.no_grad():
        inside = algorithm.architecture(
            **algorithm.data_preprocessor(batch), mode='tensor')
        alone = classifier(**classifier.data_preprocessor(batch),
                           mode='tensor')
    assert torch.equal(alone, inside)
    # The random BatchNorm statistics make the logits far from uniform.
    assert inside.std() > 0.1


def test_meta_records_source_algorithm_and_dropped_groups(
        uskd_checkpoint, kd_checkpoint):
    uskd_path, uskd = uskd_checkpoint
    kd_path, kd = kd_checkpoint
    with open(kd_path, 'rb') as f:
        kd_sha = hashlib.sha256(f.read()).hexdigest()

    meta = extract_student(kd_path)['meta']
    assert meta['algorithm'] == 'teacher KD'
    assert meta['source'] == osp.abspath(kd_path)
    assert meta['source_sha256'] == kd_sha
    # MMRazor's KLDivergence has no parameters: only the teacher is dropped.
    assert meta['dropped'] == {'teacher': len(kd.teacher.state_dict())}
    assert meta['dataset_meta'] == DATASET_META
    assert (meta['epoch'], meta['iter']) == (3, 6)
    assert 'cfg' not in meta

    meta = extract_student(uskd_path)['meta']
    assert meta['algorithm'] == 'self-KD'
    assert meta['dropped'] == {'distiller.connectors': 2}
    backbone = extract_student(uskd_path, mode='backbone')
    head_keys = len(uskd.architecture.head.state_dict())
    assert backbone['meta']['dropped'] == {
        'architecture.head': head_keys, 'distiller.connectors': 2}
    assert set(backbone['state_dict']) == set(
        uskd.architecture.backbone.state_dict())


def test_uskd_weak_classifier_and_teacher_never_reach_the_student(
        uskd_checkpoint, kd_checkpoint):
    for path, _ in (uskd_checkpoint, kd_checkpoint):
        keys = list(extract_student(path)['state_dict'])
        assert not [k for k in keys if k.split('.')[0] not in
                    ('backbone', 'neck', 'head', 'data_preprocessor')]


def resnet50_uskd_cfg():
    """USKD's ImageNet ResNet-18 config with a ResNet-50 student: the
    overrides a user would pass with --cfg-options (10 classes keep the
    files small)."""
    model = algorithm_cfg(USKD_IN1K)
    model.architecture.backbone.depth = 50
    model.architecture.head.in_channels = 2048
    model.architecture.head.num_classes = 10
    model.distiller.connectors.weak.in_channels = 1024
    model.distiller.connectors.weak.num_classes = 10
    return model


class _Records(logging.Handler):

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _init_with_log(module):
    logger = MMLogger.get_current_instance()
    records = _Records()
    logger.addHandler(records)
    try:
        module.init_weights()
    finally:
        logger.removeHandler(records)
    return records.messages


@pytest.mark.slow
def test_backbone_checkpoint_loads_into_resnet50_by_init_cfg(tmp_path):
    algorithm = build(resnet50_uskd_cfg())
    source = save_run_checkpoint(algorithm, tmp_path / 'uskd_r50.pth')
    expected = algorithm.architecture.backbone.state_dict()
    del algorithm

    backbone_ckpt = str(tmp_path / 'r50_backbone.pth')
    save_student(source, backbone_ckpt, mode='backbone')
    saved = torch.load(backbone_ckpt, weights_only=True)['state_dict']
    assert set(saved) == set(ResNet(depth=50).state_dict())

    classifier_ckpt = str(tmp_path / 'r50_classifier.pth')
    save_student(source, classifier_ckpt, mode='classifier')
    # Bare keys need no prefix; the classifier file needs 'backbone.'.
    for init_cfg in (dict(type='Pretrained', checkpoint=backbone_ckpt),
                     dict(type='Pretrained', checkpoint=classifier_ckpt,
                          prefix='backbone.')):
        resnet = ResNet(depth=50, init_cfg=init_cfg)
        messages = _init_with_log(resnet)
        assert any(init_cfg['checkpoint'] in m for m in messages), messages
        assert not [m for m in messages if 'missing' in m or 'unexpected' in m]
        loaded = resnet.state_dict()
        assert all(torch.equal(loaded[k], v) for k, v in expected.items())


def test_mmengine_reports_keys_that_do_not_fit(tmp_path):
    """The log check above would see a mismatch."""
    state = ResNet(depth=18).state_dict()
    state['extra.weight'] = torch.zeros(1)
    del state['conv1.weight']
    path = str(tmp_path / 'r18.pth')
    torch.save({'state_dict': state}, path)
    resnet = ResNet(depth=18,
                    init_cfg=dict(type='Pretrained', checkpoint=path))
    messages = ' '.join(_init_with_log(resnet))
    assert 'missing keys' in messages and 'conv1.weight' in messages
    assert 'unexpected key' in messages and 'extra.weight' in messages


def test_plain_classifier_is_named(tmp_path):
    classifier = build(algorithm_cfg(STUDENT_CONFIG))
    path = str(tmp_path / 'plain.pth')
    torch.save({'meta': {}, 'state_dict': classifier.state_dict()}, path)
    with pytest.raises(ValueError) as err:
        extract_student(path)
    message = str(err.value)
    assert 'holds no student' in message and path in message
    assert 'found keys backbone.*, head.* (a plain classifier?' in message


def test_detector_is_named(tmp_path):
    state = {k: torch.zeros(1) for k in (
        'backbone.conv1.weight', 'neck.lateral_convs.0.conv.weight',
        'rpn_head.rpn_conv.weight', 'roi_head.bbox_head.fc_cls.weight')}
    path = str(tmp_path / 'mask_rcnn.pth')
    torch.save({'meta': {}, 'state_dict': state}, path)
    with pytest.raises(ValueError, match=r'found keys backbone\.\*, neck\.\*, '
                       r'rpn_head\.\*, roi_head\.\* \(a detector'):
        extract_student(path)


def test_truncated_and_missing_files_are_named(uskd_checkpoint, tmp_path):
    with open(uskd_checkpoint[0], 'rb') as f:
        data = f.read()
    path = tmp_path / 'truncated.pth'
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(RuntimeError, match='truncated.pth could not be read'):
        extract_student(str(path))
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        extract_student(str(tmp_path / 'nowhere.pth'))


def test_state_dict_without_tensors_is_refused(tmp_path):
    path = str(tmp_path / 'log.pth')
    torch.save({'epoch': 3, 'lr': [0.1]}, path)
    with pytest.raises(
            ValueError,
            match=r'no state dict of tensors .*found '
            r"keys \['epoch', 'lr'\]"):
        extract_student(path)


def test_source_is_never_overwritten(uskd_checkpoint):
    path = uskd_checkpoint[0]
    with pytest.raises(ValueError, match='refusing to overwrite'):
        save_student(path, path)


def test_split_student_rejects_unknown_mode():
    with pytest.raises(ValueError, match="'neck'"):
        split_student({'architecture.backbone.w': torch.zeros(1)}, 'neck')
