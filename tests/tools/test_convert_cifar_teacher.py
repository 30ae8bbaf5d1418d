"""tools/model_converters/convert_cifar_teacher.py as a user runs it; the
checkpoints in CRD's layout come from tests/checkpoint/convert/
test_cifar_zoo.py."""
import os.path as osp
import runpy
import sys

import pytest
import torch
from mmengine.registry import DefaultScope

from mmcls_kd.registry import MODELS
from tests.checkpoint.convert.test_cifar_zoo import (crd_state_dict, logits,
                                                     random_classifier,
                                                     save_crd_checkpoint)
from tests.conftest import REPO, run_tool

TOOL = osp.join(REPO, 'tools', 'model_converters', 'convert_cifar_teacher.py')


def _run_in_process(monkeypatch, *args) -> None:
    monkeypatch.setattr(sys, 'argv', [TOOL, *args])
    runpy.run_path(TOOL, run_name='__main__')


def test_cli_reports_a_file_without_state_dict(tmp_path, monkeypatch):
    src = tmp_path / 'stats.pth'
    torch.save({'epoch': 240, 'best_acc': 79.4}, src)
    with pytest.raises(SystemExit) as exit_info:
        _run_in_process(monkeypatch, str(src), str(tmp_path / 'out.pth'),
                        '--arch', 'resnet8x4')
    assert "no state dict" in str(exit_info.value.code)
    assert "keys ['epoch', 'best_acc']" in str(exit_info.value.code)
    assert not (tmp_path / 'out.pth').exists()


def test_cli_reports_an_unknown_arch(tmp_path, monkeypatch):
    src = save_crd_checkpoint(tmp_path / 'ckpt.pth',
                              {'fc.weight': torch.zeros(100, 64)})
    with pytest.raises(SystemExit) as exit_info:
        _run_in_process(monkeypatch, src, str(tmp_path / 'out.pth'), '--arch',
                        'resnet99')
    assert "unknown arch 'resnet99'" in str(exit_info.value.code)


@pytest.mark.slow
def test_cli_writes_a_checkpoint_mmpretrain_loads(tmp_path):
    source = random_classifier('ShuffleV2')
    src = save_crd_checkpoint(tmp_path / 'ShuffleV2_vanilla.pth',
                              crd_state_dict(source, 'ShuffleV2'))
    dst = tmp_path / 'out' / 'shufflev2_cifar100.pth'

    run_tool([TOOL, src, str(dst), '--arch', 'ShuffleV2'])

    checkpoint = torch.load(str(dst), weights_only=True)
    assert checkpoint['meta']['arch'] == 'shufflev2'
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        target = MODELS.build(checkpoint['meta']['model'])
    target.load_state_dict(checkpoint['state_dict'], strict=True)
    assert torch.equal(logits(target.eval()), logits(source))
