"""TeacherDistill: strict teacher loading, a frozen eval-mode teacher, the
student's own preprocessing, and config overrides reaching the losses."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from mmcls_kd.apis import load_config, model_config
from mmcls_kd.registry import MODELS
from tests.conftest import KD_CONFIG, QUICK


def _build(model_cfg):
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        return MODELS.build(copy.deepcopy(model_cfg))


def _kd_model_cfg(teacher_ckpt, **changes):
    model = model_config(Config.fromfile(KD_CONFIG))
    model.teacher_ckpt = teacher_ckpt
    model.update(changes)
    return model


def _batch(n=8, num_classes=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 256, (1, 8, 8), generator=g,
                            dtype=torch.uint8) for _ in range(n)]
    samples = [DataSample().set_gt_label(int(i))
               for i in torch.randint(0, num_classes, (n, ), generator=g)]
    return dict(inputs=inputs, data_samples=samples)


def test_teacher_weights_are_loaded(random_teacher_ckpt):
    model = _build(_kd_model_cfg(random_teacher_ckpt))
    saved = torch.load(random_teacher_ckpt)['state_dict']
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, saved[key]), key


def test_distillation_checkpoint_as_teacher_names_the_command(
        tmp_path, random_teacher_ckpt):
    algorithm = _build(_kd_model_cfg(random_teacher_ckpt))
    path = str(tmp_path / 'epoch_1.pth')
    torch.save({'state_dict': algorithm.state_dict()}, path)
    with pytest.raises(ValueError, match='extract_student.py') as err:
        _build(_kd_model_cfg(path))
    assert path in str(err.value)


def test_missing_teacher_checkpoint_is_named(tmp_path):
    path = str(tmp_path / 'no_teacher.pth')
    with pytest.raises(FileNotFoundError, match='no_teacher.pth'):
        _build(_kd_model_cfg(path))


def test_mismatched_teacher_checkpoint_is_refused(tmp_path,
                                                  random_teacher_ckpt):
    state = torch.load(random_teacher_ckpt)['state_dict']
    state.pop('head.fc.bias')
    state['head.fc.weight'] = torch.zeros(3, 256)
    state['extra.weight'] = torch.zeros(1)
    path = tmp_path / 'wrong.pth'
    torch.save({'state_dict': state}, path)
    with pytest.raises(ValueError) as err:
        _build(_kd_model_cfg(str(path)))
    assert str(err.value) == (
        f'{path} does not fit the teacher model: 1 missing (head.fc.bias); '
        '1 unexpected (extra.weight); 1 of another shape (head.fc.weight: '
        'found (3, 256), expected (10, 256)). Check that the teacher config '
        'matches the checkpoint')


def test_random_teacher_is_refused_unless_allowed():
    with pytest.raises(ValueError, match='random weights'):
        _build(_kd_model_cfg(None))
    model = _build(_kd_model_cfg(None, allow_random_teacher=True))
    assert not any(p.requires_grad for p in model.teacher.parameters())


def test_teacher_stays_frozen_through_training(random_teacher_ckpt):
    model = _build(_kd_model_cfg(random_teacher_ckpt))
    model.init_weights()
    teacher_before = copy.deepcopy(model.teacher.state_dict())
    student_before = copy.deepcopy(model.student.state_dict())
    optim = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9,
                        weight_decay=1e-2))
    for step in range(3):
        model.train()
        assert not model.teacher.training
        assert all(not m.training for m in model.teacher.modules())
        log = model.train_step(_batch(seed=step), optim)
        assert log['distill.loss_kd'] > 0
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher_before[key]), key
    changed = [k for k, v in model.student.state_dict().items()
               if not torch.equal(v, student_before[k])]
    assert any('running_mean' in k for k in changed)
    assert any(k.endswith('weight') for k in changed)


def test_student_keeps_its_preprocessor_and_batch_augments(
        random_teacher_ckpt):
    cfg = _kd_model_cfg(random_teacher_ckpt)
    cfg.architecture.train_cfg = dict(augments=[
        dict(type='Mixup', alpha=1.0)])
    model = _build(cfg)
    preprocessor = model.data_preprocessor
    assert preprocessor is model.student.data_preprocessor
    assert torch.allclose(preprocessor.mean.flatten(), torch.tensor([78.1]))
    assert preprocessor.batch_augments is not None
    data = preprocessor(_batch(), True)
    scores = torch.stack([s.gt_score for s in data['data_samples']])
    assert scores.shape == (8, 10)
    assert torch.allclose(scores.sum(1), torch.ones(8))
    assert ((scores > 0) & (scores < 1)).any()


def test_cfg_options_reach_the_distillation_loss(random_teacher_ckpt):
    cfg = load_config(
        KD_CONFIG, {
            'model.distiller.distill_losses.loss_kd.tau': 2.5,
            'model.distiller.distill_losses.loss_kd.loss_weight': 0.3,
            'model.teacher.head.loss.loss_weight': 0.7,
            'model.teacher_ckpt': random_teacher_ckpt,
        })
    model = _build(cfg.model)
    loss = model.distiller.distill_losses['loss_kd']
    assert loss.tau == 2.5 and loss.loss_weight == 0.3
    assert model.teacher.head.loss_module.loss_weight == 0.7


def test_teacher_settings_that_would_unfreeze_it_are_refused(
        random_teacher_ckpt):
    with pytest.raises(ValueError, match='teacher_trainable'):
        _build(_kd_model_cfg(random_teacher_ckpt, teacher_trainable=True))


def test_unreachable_teacher_url_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    url = 'http://127.0.0.1:9/teacher_20990101-0123abcd.pth'
    with pytest.raises(RuntimeError, match=url.replace('.', r'\.')):
        _build(_kd_model_cfg(url))
    assert not list(tmp_path.rglob('*.pth'))


# Teachers from timm (MMPretrain's TimmClassifier).

TIMM_NKD = osp.join(QUICK, 'nkd_timm-resnet18_resnet18-w16_1xb32_digits.py')


def _timm_network_file(tmp_path) -> tuple:
    """Weights of the quick-start timm teacher's network as timm saves them
    (no ``model.`` prefix, no ``state_dict`` entry)."""
    import timm
    teacher = Config.fromfile(TIMM_NKD).model.teacher
    torch.manual_seed(1)
    network = timm.create_model(
        teacher.model_name, num_classes=10, in_chans=1)
    with torch.no_grad():
        for param in network.parameters():
            param.uniform_(-0.1, 0.1)
    path = str(tmp_path / 'timm_resnet18.pth')
    torch.save(network.state_dict(), path)
    return path, network.state_dict()


def _timm_model_cfg(**changes):
    model = model_config(Config.fromfile(TIMM_NKD))
    model.update(changes)
    return model


def test_timm_teacher_loads_a_timm_state_dict_as_teacher_ckpt(tmp_path):
    pytest.importorskip('timm')
    path, saved = _timm_network_file(tmp_path)
    model = _build(_timm_model_cfg(teacher_ckpt=path))
    model.init_weights()
    network = model.teacher.model.state_dict()
    assert network.keys() == saved.keys()
    for key, value in saved.items():
        assert torch.equal(network[key], value), key


def test_timm_weights_are_the_teacher_weights(tmp_path):
    pytest.importorskip('timm')
    path, saved = _timm_network_file(tmp_path)
    cfg = _timm_model_cfg(teacher_ckpt=None)
    # What pretrained=True does, from a file: timm loads the weights.
    cfg.teacher.checkpoint_path = path
    model = _build(cfg)
    # As the runner does before training.
    model.init_weights()
    for key, value in saved.items():
        assert torch.equal(model.teacher.model.state_dict()[key], value), key
    # A timm teacher without weights is still refused.
    with pytest.raises(ValueError, match='pretrained=True for a timm'):
        _build(_timm_model_cfg(teacher_ckpt=None))


def test_timm_logits_are_recorded_at_the_network_output(tmp_path):
    pytest.importorskip('timm')
    path, _ = _timm_network_file(tmp_path)
    model = _build(_timm_model_cfg(teacher_ckpt=path))
    recorders = model.distiller.teacher_recorders.recorders
    assert recorders['logits'].source == 'model'
    outputs = []
    model.teacher.model.fc.register_forward_hook(
        lambda module, args, out: outputs.append(out))
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.0))
    model.train()
    model.train_step(_batch(), optim)
    logits = model.distiller.get_record('logits', from_student=False)
    assert torch.equal(logits, outputs[0])


def test_a_timm_student_learns_from_its_records(random_teacher_ckpt):
    pytest.importorskip('timm')
    cfg = _kd_model_cfg(random_teacher_ckpt)
    cfg.architecture = dict(
        type='TimmClassifier',
        model_name='test_resnet',
        num_classes=10,
        in_chans=1)
    model = _build(cfg)
    student = model.distiller.student_recorders.recorders
    assert (student['logits'].source, student['labels'].source) == (
        'model', 'loss_module')
    # An MMPretrain teacher takes the student's batch: no conversion.
    assert model.teacher_input is None
    outputs = []
    model.student.model.register_forward_hook(
        lambda module, args, out: outputs.append(out))
    batch = _batch()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.0))
    model.train()
    log = model.train_step(batch, optim)
    assert log['distill.loss_kd'] > 0
    assert torch.equal(model.distiller.get_record('logits', True), outputs[0])
    labels = model.distiller.get_record('labels', True, data_idx=1)
    assert torch.equal(labels, torch.cat(
        [s.gt_label for s in batch['data_samples']]))


def test_loss_terms_split_the_student_losses_from_the_distillation_ones():
    model = _build(_kd_model_cfg(None, allow_random_teacher=True))
    one = torch.tensor(1.0)
    task, distill = model.loss_terms({
        'student.loss': one, 'student.accuracy_top-1': one,
        'distill.loss_kd': one, 'distill.loss_other': one})
    assert set(task) == {'student.loss', 'student.accuracy_top-1'}
    assert set(distill) == {'distill.loss_kd', 'distill.loss_other'}
    with pytest.raises(ValueError, match=r"the losses \['loss_extra'\] are "
                       'neither task'):
        model.loss_terms({'student.loss': one, 'loss_extra': one})
