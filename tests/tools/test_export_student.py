"""tools/deployment/export_student.py on a converted quick-start student:
both formats written and checked against PyTorch."""
import importlib.util
import os.path as osp

import pytest
import torch

from mmcls_kd.checkpoint import save_student
from tests.apis.test_deploy import ATOL
from tests.checkpoint.test_student import USKD_CONFIG, uskd_run
from tests.tools.test_extract_student import load_tool


@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/deployment/export_student.py')


@pytest.fixture(scope='module')
def uskd_checkpoint(tmp_path_factory):
    return uskd_run(tmp_path_factory.mktemp('uskd'))


def test_exports_both_formats_within_tolerance(tool, uskd_checkpoint,
                                               tmp_path, capsys):
    student = str(tmp_path / 'student.pth')
    save_student(uskd_checkpoint[0], student)
    out = tmp_path / 'deploy'
    # Without the onnx package only TorchScript can be written.
    with_onnx = importlib.util.find_spec('onnx') is not None
    formats = ['torchscript'] + (['onnx'] if with_onnx else [])
    errors = tool.main([USKD_CONFIG, student, '--out-dir', str(out),
                        '--input-size', '8', '8', '--formats', *formats])
    assert errors['torchscript'] <= ATOL
    assert osp.isfile(out / 'student.torchscript.pt')
    if with_onnx:
        assert osp.isfile(out / 'student.onnx')
        if importlib.util.find_spec('onnxruntime') is None:
            assert errors['onnx'] is None
        else:
            assert errors['onnx'] <= ATOL
    # The exported graph takes raw digits: its logits are those of the
    # algorithm's student after the algorithm's own preprocessing.
    algorithm = uskd_checkpoint[1]
    images = torch.randint(0, 256, (3, 1, 8, 8)).float()
    with torch.no_grad():
        inside = algorithm.architecture(
            **algorithm.data_preprocessor({'inputs': images}), mode='tensor')
        deployed = torch.jit.load(str(out / 'student.torchscript.pt'))(images)
    assert torch.allclose(deployed, inside, atol=ATOL, rtol=0)
    assert 'max |diff|' in capsys.readouterr().out


def test_unconverted_checkpoint_ends_in_one_error_line(tool, uskd_checkpoint,
                                                       tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        tool.main([USKD_CONFIG, uskd_checkpoint[0], '--out-dir',
                   str(tmp_path), '--input-size', '8', '8'])
    message = str(exit_info.value.code)
    assert message.startswith('export_student: error: ')
    assert 'extract_student.py' in message and '\n' not in message
