"""tools/model_converters/extract_student.py as a user runs it: a summary
line on success, one error line (no traceback) on bad input."""
import importlib.util
import os.path as osp

import pytest
import torch

from tests.checkpoint.test_student import DATASET_META, kd_run, uskd_run
from tests.conftest import REPO


def load_tool(path):
    """Import a script under tools/ so that its ``main`` runs in-process."""
    name = osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/model_converters/extract_student.py')


@pytest.fixture(scope='module')
def uskd_checkpoint(tmp_path_factory):
    return uskd_run(tmp_path_factory.mktemp('uskd'))


@pytest.fixture(scope='module')
def kd_checkpoint(tmp_path_factory, random_teacher_ckpt):
    return kd_run(tmp_path_factory.mktemp('kd'), random_teacher_ckpt)


def test_summary_names_algorithm_and_dropped_groups(tool, kd_checkpoint,
                                                    tmp_path, capsys):
    dst = str(tmp_path / 'out' / 'student.pth')
    checkpoint = tool.main([kd_checkpoint[0], dst])
    printed = capsys.readouterr().out
    teacher_keys = len(kd_checkpoint[1].teacher.state_dict())
    assert printed.startswith('teacher KD checkpoint ')
    assert f'dropped teacher.* ({teacher_keys})' in printed
    saved = torch.load(dst, weights_only=True)
    assert saved['meta'] == checkpoint['meta']
    assert saved['meta']['dataset_meta'] == DATASET_META


def test_backbone_mode(tool, uskd_checkpoint, tmp_path, capsys):
    dst = str(tmp_path / 'backbone.pth')
    tool.main([uskd_checkpoint[0], dst, '--mode', 'backbone'])
    assert 'self-KD checkpoint' in capsys.readouterr().out
    saved = torch.load(dst, weights_only=True)
    expected = uskd_checkpoint[1].architecture.backbone.state_dict()
    assert saved['state_dict'].keys() == expected.keys()
    assert all(torch.equal(saved['state_dict'][k], v)
               for k, v in expected.items())


class _Code:
    """Unpickles into a call of ``print``: code a checkpoint must not run."""

    def __reduce__(self):
        return print, ('ran',)


def _bad_inputs(tmp_path, student_state):
    plain = tmp_path / 'plain.pth'
    torch.save({'meta': {}, 'state_dict': student_state}, plain)
    detector = tmp_path / 'detector.pth'
    torch.save({'state_dict': {'backbone.conv1.weight': torch.zeros(1),
                               'rpn_head.rpn_conv.weight': torch.zeros(1)}},
               detector)
    corrupted = tmp_path / 'corrupted.pth'
    corrupted.write_bytes(b'not a checkpoint at all')
    code = tmp_path / 'code.pth'
    torch.save({'state_dict': {'architecture.w': torch.zeros(1)},
                'meta': _Code()}, code)
    return [
        (plain, 'holds no student (no architecture.* keys): found keys '
         'backbone.*, head.* (a plain classifier?'),
        (detector, 'found keys backbone.*, rpn_head.* (a detector'),
        (corrupted, 'could not be read'),
        (code, 'print` to unpickle, which could run arbitrary code'),
        (tmp_path / 'missing.pth', 'checkpoint file not found'),
    ]


def test_bad_inputs_end_in_one_error_line(tool, uskd_checkpoint, tmp_path,
                                          capsys):
    student = {k[len('architecture.'):]: v
               for k, v in uskd_checkpoint[1].state_dict().items()
               if k.startswith('architecture.')}
    for src, expected in _bad_inputs(tmp_path, student):
        with pytest.raises(SystemExit) as exit_info:
            tool.main([str(src), str(tmp_path / 'out.pth')])
        message = str(exit_info.value.code)
        assert message.startswith('extract_student: error: '), message
        assert str(src) in message and expected in message, message
        assert '\n' not in message
        assert not osp.exists(tmp_path / 'out.pth')
    assert 'ran' not in capsys.readouterr().out
