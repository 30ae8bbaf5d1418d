"""Every way a foreign checkpoint enters a run goes through the weights-only
rule of ``mmcls_kd.checkpoint``: a pickle that would call
``os.system`` is refused, naming the opt-in variable, and the command never
runs. A run's own checkpoints resume without any opt-in
(``test_exact_resume.py`` resumes with the variable unset).
"""
import copy
import hashlib
import importlib.util
import os
import os.path as osp
import shutil
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmcls_kd.checkpoint import (TRUST_ENV, download_checkpoint,
                                 load_checkpoint_file)
from mmcls_kd.registry import MODELS
from tests.conftest import REPO, STUDENT_CONFIG
from tests.reliability.helpers import NKD_CONFIG


class _RunsShellCommand:
    """Unpickling this runs ``touch MARKER`` through ``os.system``."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


@pytest.fixture
def hostile(tmp_path, monkeypatch, random_teacher_ckpt):
    """A teacher checkpoint with real weights and a shell command in its
    meta; the marker file exists only if the command ran."""
    monkeypatch.delenv(TRUST_ENV, raising=False)
    marker = tmp_path / 'the_command_ran'
    state = torch.load(random_teacher_ckpt)['state_dict']
    path = tmp_path / 'hostile.pth'
    torch.save({'state_dict': state, 'meta': _RunsShellCommand(str(marker))},
               path)
    yield str(path)
    assert not marker.exists(), 'the pickled command ran'


def _assert_refused(message: str) -> None:
    assert TRUST_ENV in message, message
    assert 'system' in message, message


def _build(model_cfg):
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        return MODELS.build(model_cfg)


def test_teacher_checkpoint_is_refused(hostile):
    model = copy.deepcopy(Config.fromfile(NKD_CONFIG).model)
    model['teacher_ckpt'] = hostile
    with pytest.raises(Exception) as err:
        _build(model)
    _assert_refused(str(err.value))


def test_pretrained_init_cfg_is_refused(hostile):
    model = copy.deepcopy(Config.fromfile(STUDENT_CONFIG).model)
    # The teacher's weights are no fit for the student: the load must stop
    # before any key is compared.
    model['backbone']['init_cfg'] = dict(
        type='Pretrained', checkpoint=hostile, prefix='backbone.')
    classifier = _build(model)
    with pytest.raises(Exception) as err:
        classifier.init_weights()
    _assert_refused(str(err.value))


def _load_tool(relative: str):
    spec = importlib.util.spec_from_file_location(
        'tool_' + osp.basename(relative)[:-3], osp.join(REPO, relative))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_load_from_in_tools_test_is_refused(hostile, tmp_path):
    test_tool = _load_tool('tools/test.py')
    with pytest.raises(Exception) as err:
        test_tool.main([
            STUDENT_CONFIG, hostile, '--work-dir', str(tmp_path / 'test'),
            '--cfg-options', 'test_dataloader.dataset.indices=8'
        ])
    _assert_refused(str(err.value))


def test_extract_student_refuses_its_input(hostile, tmp_path):
    extract = _load_tool('tools/model_converters/extract_student.py')
    with pytest.raises(SystemExit) as err:
        extract.main([hostile, str(tmp_path / 'student.pth')])
    _assert_refused(str(err.value.code))
    assert not (tmp_path / 'student.pth').exists()


def test_convert_cifar_teacher_refuses_its_input(hostile, tmp_path,
                                                 monkeypatch):
    convert = _load_tool('tools/model_converters/convert_cifar_teacher.py')
    out = tmp_path / 'converted.pth'
    monkeypatch.setattr(sys, 'argv',
                        ['convert', hostile, str(out), '--arch', 'resnet8x4'])
    with pytest.raises(SystemExit) as err:
        convert.main()
    _assert_refused(str(err.value.code))
    assert not out.exists()


def test_download_checks_the_hash_in_the_file_name(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    served = tmp_path / 'served'
    served.mkdir()
    weights = tmp_path / 'weights.pth'
    torch.save({'state_dict': {'w': torch.arange(3.0)}}, weights)
    prefix = hashlib.sha256(weights.read_bytes()).hexdigest()[:8]

    good = served / f'good-{prefix}.pth'
    shutil.copy(weights, good)
    path = download_checkpoint(good.as_uri())
    assert path == str(tmp_path / 'torch_home' / 'hub' / 'checkpoints' /
                       good.name)
    assert torch.equal(load_checkpoint_file(path)['state_dict']['w'],
                       torch.arange(3.0))

    tampered = served / f'tampered-{prefix}.pth'
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    tampered.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match='invalid hash value') as err:
        download_checkpoint(tampered.as_uri())
    assert tampered.name in str(err.value)
    assert not (tmp_path / 'torch_home' / 'hub' / 'checkpoints' /
                tampered.name).exists()
