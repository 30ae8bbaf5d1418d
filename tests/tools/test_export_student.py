"""tools/deployment/export_student.py on a converted quick-start student:
both formats written and checked against PyTorch, by default at the size of
the config's test images."""
import importlib.util
import os.path as osp

import pytest
import torch

from mmcls_kd.apis.deploy import run_onnx
from mmcls_kd.checkpoint import save_student
from mmcls_kd.datasets import Digits
from tests.apis.test_deploy import ATOL
from tests.checkpoint.test_student import USKD_CONFIG, uskd_run
from tests.conftest import STUDENT_CONFIG
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


def test_quick_start_model_is_exported_for_8x8_digits(tool, uskd_checkpoint,
                                                      tmp_path, capsys):
    for name in ('onnx', 'onnxruntime'):
        if importlib.util.find_spec(name) is None:
            pytest.skip(f'{name} is not installed (pip install -r '
                        'requirements/export.txt); ONNX output not checked')
    import onnx
    student = str(tmp_path / 'student.pth')
    save_student(uskd_checkpoint[0], student)
    out = tmp_path / 'deploy'
    errors = tool.main([STUDENT_CONFIG, student, '--out-dir', str(out)])
    assert 'Input: N x 1 x 8 x 8' in capsys.readouterr().out
    assert max(errors.values()) <= ATOL
    graph = onnx.load(str(out / 'student.onnx'))
    dims = graph.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ['batch', 1, 8, 8]

    digit = Digits('test', pipeline=[dict(type='PackInputs')])[0]['inputs']
    images = digit.float().unsqueeze(0)
    assert images.shape == (1, 1, 8, 8)
    algorithm = uskd_checkpoint[1]
    with torch.no_grad():
        data = algorithm.data_preprocessor({'inputs': images})
        expected = algorithm.architecture(**data, mode='tensor')
        traced = torch.jit.load(str(out / 'student.torchscript.pt'))(images)
    from_onnx = run_onnx(str(out / 'student.onnx'), images)
    assert torch.allclose(from_onnx, expected, atol=ATOL, rtol=0)
    assert torch.allclose(traced, expected, atol=ATOL, rtol=0)


def test_size_the_pipeline_does_not_fix_asks_for_input_size(
        tool, uskd_checkpoint, tmp_path):
    config = tmp_path / 'file_images.py'
    config.write_text(
        f'_base_ = [{STUDENT_CONFIG!r}]\n'
        'test_dataloader = dict(dataset=dict(_delete_=True, '
        "type='CustomDataset', data_root='images', pipeline=["
        "dict(type='LoadImageFromFile'), dict(type='ResizeEdge', scale=32), "
        "dict(type='PackInputs')]))\n")
    student = str(tmp_path / 'student.pth')
    save_student(uskd_checkpoint[0], student)
    with pytest.raises(SystemExit) as exit_info:
        tool.main([str(config), student, '--out-dir', str(tmp_path)])
    message = str(exit_info.value.code)
    assert message.startswith('export_student: error: ')
    assert message.endswith('pass --input-size H W')
    assert 'ResizeEdge' in message
