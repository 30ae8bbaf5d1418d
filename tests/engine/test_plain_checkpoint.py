"""Training checkpoints load weights-only, leave the frozen teacher out and
are loaded strictly: what the wrong weights, a code-running --resume file,
a changed teacher and a resume into another model each end in."""
import os
import shutil

import pytest
import torch

from mmcls_kd.apis import build_runner, load_config
from mmcls_kd.checkpoint import (StateDictMismatchError, UnsafeCheckpointError,
                                 file_sha256, split_student)
from mmcls_kd.engine.hooks.plain_checkpoint import (CheckpointFormatError,
                                                    CheckpointTeacherError)
from tests.conftest import KD_CONFIG, STUDENT_CONFIG, TEACHER_CONFIG

TINY = {
    'train_dataloader.dataset.indices': 32,
    'val_dataloader.dataset.indices': 32,
    'test_dataloader.dataset.indices': 32,
    'train_cfg.max_epochs': 1,
    'train_cfg.val_interval': 100,
}


def _runner(config, work_dir, **options):
    cfg = load_config(
        config, {
            **TINY, 'work_dir': str(work_dir),
            'experiment_name': os.path.basename(str(work_dir)),
            **options
        })
    return build_runner(cfg)


@pytest.fixture(scope='module')
def kd_run(tmp_path_factory, random_teacher_ckpt):
    """A finished one-epoch KD run: (runner, work dir)."""
    work = tmp_path_factory.mktemp('kd')
    runner = _runner(KD_CONFIG, work,
                     **{'model.teacher_ckpt': random_teacher_ckpt})
    runner.train()
    return runner, work


def test_a_training_checkpoint_loads_weights_only_without_the_teacher(
        kd_run, random_teacher_ckpt):
    runner, work = kd_run
    checkpoint = torch.load(work / 'epoch_1.pth', weights_only=True)
    state = checkpoint['state_dict']
    assert not [k for k in state if k.startswith('teacher.')]
    assert [k for k in state if k.startswith('architecture.')]
    assert checkpoint['meta']['teacher'] == dict(
        checkpoint=random_teacher_ckpt,
        sha256=file_sha256(random_teacher_ckpt))
    # The teacher stayed frozen: its weights and BatchNorm statistics are
    # the loaded file's, bit for bit.
    loaded = torch.load(random_teacher_ckpt)['state_dict']
    teacher = runner.model.teacher.state_dict()
    assert teacher.keys() == loaded.keys()
    for key, value in loaded.items():
        assert torch.equal(teacher[key], value), key


def test_resume_from_a_copy_elsewhere_needs_no_trust(kd_run, tmp_path,
                                                     random_teacher_ckpt,
                                                     monkeypatch):
    monkeypatch.delenv('MMCLS_KD_TRUST_CHECKPOINTS', raising=False)
    _, work = kd_run
    elsewhere = tmp_path / 'copied.pth'
    shutil.copy(work / 'epoch_1.pth', elsewhere)
    runner = _runner(
        KD_CONFIG, tmp_path / 'resumed', **{
            'model.teacher_ckpt': random_teacher_ckpt,
            'resume': True,
            'load_from': str(elsewhere),
            'train_cfg.max_epochs': 2
        })
    runner.load_or_resume()
    assert runner.epoch == 1
    # The message hub came back as MMEngine's objects.
    logs, counts = runner.message_hub.get_scalar('train/loss').data
    assert len(logs) == len(counts) > 0


def test_a_code_running_file_given_to_resume_does_not_run(
        tmp_path, monkeypatch):
    monkeypatch.delenv('MMCLS_KD_TRUST_CHECKPOINTS', raising=False)
    marker = tmp_path / 'ran'

    class Payload:

        def __reduce__(self):
            return (os.system, (f'touch {marker}', ))

    path = tmp_path / 'elsewhere' / 'x.pth'
    path.parent.mkdir()
    torch.save({'state_dict': {}, 'meta': Payload()}, path)
    runner = _runner(STUDENT_CONFIG,
                     tmp_path / 'work',
                     resume=True,
                     load_from=str(path))
    with pytest.raises(UnsafeCheckpointError):
        runner.load_or_resume()
    assert not marker.exists()


def test_an_older_checkpoint_is_resumable_with_the_opt_in_only(
        tmp_path, monkeypatch):
    monkeypatch.delenv('MMCLS_KD_TRUST_CHECKPOINTS', raising=False)
    first = _runner(STUDENT_CONFIG, tmp_path / 'first')
    first.train()
    # As checkpoints were written before: the message hub as MMEngine's
    # objects.
    old = tmp_path / 'old.pth'
    checkpoint = torch.load(tmp_path / 'first' / 'epoch_1.pth',
                            weights_only=True)
    checkpoint['message_hub'] = first.message_hub.state_dict()
    torch.save(checkpoint, old)
    options = dict(resume=True,
                   load_from=str(old),
                   **{'train_cfg.max_epochs': 2})
    with pytest.raises(CheckpointFormatError,
                       match='MMCLS_KD_TRUST_CHECKPOINTS=1'):
        _runner(STUDENT_CONFIG, tmp_path / 'refused',
                **options).load_or_resume()
    monkeypatch.setenv('MMCLS_KD_TRUST_CHECKPOINTS', '1')
    runner = _runner(STUDENT_CONFIG, tmp_path / 'trusted', **options)
    runner.load_or_resume()
    assert runner.epoch == 1


def test_a_changed_teacher_file_stops_the_resume(kd_run, tmp_path,
                                                 random_teacher_ckpt):
    _, work = kd_run
    changed = tmp_path / 'teacher.pth'
    state = torch.load(random_teacher_ckpt)
    state['state_dict'] = {
        k: v + 1 if v.is_floating_point() else v
        for k, v in state['state_dict'].items()
    }
    torch.save(state, changed)
    runner = _runner(
        KD_CONFIG, tmp_path / 'work', **{
            'model.teacher_ckpt': str(changed),
            'resume': True,
            'load_from': str(work / 'epoch_1.pth'),
            'train_cfg.max_epochs': 2
        })
    with pytest.raises(CheckpointTeacherError,
                       match=r'trained with the teacher .*teacher.pth.*'
                       r'has sha256'):
        runner.load_or_resume()


def test_a_distillation_checkpoint_evaluates_its_student(kd_run, tmp_path):
    runner, work = kd_run
    evaluator = _runner(STUDENT_CONFIG,
                        tmp_path,
                        load_from=str(work / 'epoch_1.pth'))
    evaluator.load_or_resume()
    student, _, _ = split_student(
        torch.load(work / 'epoch_1.pth', weights_only=True)['state_dict'])
    loaded = evaluator.model.state_dict()
    for key, value in student.items():
        assert torch.equal(loaded[key], value), key
    log = next(tmp_path.glob('*/*.log')).read_text()
    assert 'is a distillation checkpoint: loading its student' in log


def test_another_model_s_checkpoint_is_refused_or_loaded_partly_on_request(
        tmp_path):
    teacher = _runner(TEACHER_CONFIG, tmp_path / 'teacher')
    teacher.train()
    path = str(tmp_path / 'teacher' / 'epoch_1.pth')
    # Evaluation: a ResNet-34 checkpoint in a ResNet-18 config.
    with pytest.raises(StateDictMismatchError,
                       match=r'of another shape.*load_cfg=dict\(strict=False'
                       r'\)'):
        _runner(STUDENT_CONFIG, tmp_path / 'eval',
                load_from=path).load_or_resume()
    # Resume: named as a run of another model.
    with pytest.raises(StateDictMismatchError,
                       match='written by a run of another model'):
        _runner(STUDENT_CONFIG,
                tmp_path / 'resume',
                resume=True,
                load_from=path,
                **{
                    'train_cfg.max_epochs': 2
                }).load_or_resume()
    # Asked for: the parts that fit load, the log lists the rest.
    partial = _runner(STUDENT_CONFIG,
                      tmp_path / 'partial',
                      load_from=path,
                      **{'load_cfg': dict(strict=False)})
    partial.load_or_resume()
    log = next((tmp_path / 'partial').glob('*/*.log')).read_text()
    assert 'load_cfg.strict=False: loaded the parts' in log
    assert 'unexpected' in log


def test_bookkeeping_round_trips_through_a_weights_only_file(tmp_path):
    """MMEngine's own objects in a checkpoint (history buffers, a
    multi-step scheduler's milestones Counter, numpy scalars) are written
    as plain values and come back as they were."""
    from collections import Counter

    import numpy as np
    from mmengine.logging import HistoryBuffer

    from mmcls_kd.engine.hooks.plain_checkpoint import PlainCheckpointHook
    runner = _runner(STUDENT_CONFIG, tmp_path / 'work')
    buffer = HistoryBuffer([0.5, 0.25], [1, 2], max_length=7)
    checkpoint = dict(
        meta=dict(epoch=1, seed=np.int64(3)),
        state_dict={},
        message_hub=dict(log_scalars={'train/loss': buffer},
                         runtime_info=dict(eta=np.float64(2.5))),
        param_schedulers=[dict(milestones=Counter({30: 1, 60: 1}),
                               last_step=np.int64(4))])
    hook = PlainCheckpointHook()
    hook.before_save_checkpoint(runner, checkpoint)
    torch.save(checkpoint, tmp_path / 'c.pth')
    loaded = torch.load(tmp_path / 'c.pth', weights_only=True)
    hook.after_load_checkpoint(runner, loaded)
    restored = loaded['message_hub']['log_scalars']['train/loss']
    assert [list(part) for part in restored.data] == [[0.5, 0.25], [1, 2]]
    assert restored.max_length == 7
    scheduler = loaded['param_schedulers'][0]
    assert scheduler == dict(milestones=Counter({30: 1, 60: 1}), last_step=4)
    assert type(scheduler['milestones']) is Counter
    assert loaded['meta']['seed'] == 3
    assert loaded['message_hub']['runtime_info']['eta'] == 2.5
