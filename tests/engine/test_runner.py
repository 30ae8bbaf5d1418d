"""KDRunner: atomic checkpoints and a stop at the first non-finite loss."""
import pytest

from mmcls_kd.apis import build_runner, load_config
from tests.conftest import STUDENT_CONFIG

TINY = {
    'train_dataloader.dataset.indices': 64,
    'val_dataloader.dataset.indices': 64,
    'train_cfg.val_interval': 100,
}


def _runner(tmp_path, **options):
    cfg = load_config(STUDENT_CONFIG, {**TINY, 'work_dir': str(tmp_path),
                                       **options})
    return build_runner(cfg)


def test_nan_loss_stops_with_iteration_and_term(tmp_path):
    runner = _runner(tmp_path, **{'optim_wrapper.optimizer.lr': 1e12,
                                  'train_cfg.max_epochs': 3})
    with pytest.raises(FloatingPointError) as err:
        runner.train()
    assert 'non-finite loss at iteration 2' in str(err.value)
    assert 'loss=nan' in str(err.value)


def test_crash_while_saving_leaves_previous_checkpoint(tmp_path,
                                                       monkeypatch):
    from mmengine.fileio.backends import LocalBackend
    runner = _runner(tmp_path, **{'train_cfg.max_epochs': 2})
    real_put = LocalBackend.put
    calls = []

    def dies_on_second_save(self, obj, filepath):
        calls.append(str(filepath))
        if len(calls) == 2:
            # Half a file on disk, then the process "dies".
            with open(filepath, 'wb') as out:
                out.write(obj[:len(obj) // 2])
            raise KeyboardInterrupt('killed while saving')
        return real_put(self, obj, filepath)

    monkeypatch.setattr(LocalBackend, 'put', dies_on_second_save)
    with pytest.raises(KeyboardInterrupt):
        runner.train()
    assert (tmp_path / 'epoch_1.pth').exists()
    assert not (tmp_path / 'epoch_2.pth').exists()
    assert calls[1].endswith('epoch_2.pth.partial')
    last = (tmp_path / 'last_checkpoint').read_text()
    assert last.endswith('epoch_1.pth')


def test_top_level_teacher_checkpoint_is_refused(tmp_path,
                                                 random_teacher_ckpt):
    # The teacher bases' helper keys are None in every distillation config:
    # `--cfg-options teacher_ckpt=X` would set a key nothing reads.
    from tests.conftest import KD_CONFIG
    cfg = load_config(KD_CONFIG, {'work_dir': str(tmp_path),
                                  'teacher_ckpt': random_teacher_ckpt})
    with pytest.raises(ValueError, match=r'set model\.teacher_ckpt instead'):
        build_runner(cfg)


def test_validation_reports_the_teacher_by_default(tmp_path,
                                                   random_teacher_ckpt):
    from mmcls_kd.engine.loops import TeacherOnceValLoop
    from tests.conftest import KD_CONFIG
    cfg = load_config(KD_CONFIG, {'work_dir': str(tmp_path),
                                  'model.teacher_ckpt': random_teacher_ckpt})
    assert 'type' not in cfg.val_cfg
    assert isinstance(build_runner(cfg).val_loop, TeacherOnceValLoop)


def test_runner_from_cfg_checks_the_config_before_building(tmp_path):
    # What mim and Runner.from_cfg users call, without tools/train.py.
    from mmcls_kd.engine import KDRunner
    cfg = load_config(STUDENT_CONFIG, {
        'work_dir': str(tmp_path),
        'val_dataloader.dataset.data_root': str(tmp_path / 'missing')})
    with pytest.raises(FileNotFoundError,
                       match=r'val_dataloader\.dataset\.data_root'):
        KDRunner.from_cfg(cfg)
    assert not any(tmp_path.iterdir())


def test_a_moved_work_dir_resumes_from_its_own_checkpoint(tmp_path):
    first = tmp_path / 'first'
    _runner(first, **{'train_cfg.max_epochs': 1}).train()
    # last_checkpoint holds the absolute path of the old place.
    assert str(first) in (first / 'last_checkpoint').read_text()
    moved = tmp_path / 'moved'
    first.rename(moved)
    runner = _runner(moved, **{'train_cfg.max_epochs': 2, 'resume': True})
    runner.load_or_resume()
    assert runner.epoch == 1 and runner.iter == 2


def test_resume_with_nothing_to_resume_says_so(tmp_path):
    runner = _runner(tmp_path, **{'train_cfg.max_epochs': 1,
                                  'resume': True,
                                  'experiment_name': tmp_path.name})
    runner.load_or_resume()
    assert runner.epoch == 0
    log, = tmp_path.glob('*/*.log')
    log = log.read_text()
    assert f'resume: nothing to resume in {tmp_path}' in log
    assert 'latest checkpoint None' not in log


def test_a_pointer_to_a_lost_checkpoint_is_an_error(tmp_path):
    (tmp_path / 'last_checkpoint').write_text('/elsewhere/epoch_3.pth')
    runner = _runner(tmp_path, **{'resume': True})
    with pytest.raises(FileNotFoundError, match=r'names /elsewhere/epoch_3'
                       r'.pth, which does not exist.*--resume PATH'):
        runner.load_or_resume()


def test_a_misspelt_checkpoint_hook_argument_stops_the_build(tmp_path):
    # In the config itself, not through --cfg-options: MMEngine would fail
    # at the first save, an epoch into the run.
    from mmengine.config import Config
    cfg = load_config(STUDENT_CONFIG, {**TINY, 'work_dir': str(tmp_path)})
    cfg = Config(cfg.to_dict())
    cfg.default_hooks.checkpoint['intervall'] = 5
    with pytest.raises(TypeError, match='CheckpointHook takes no argument '
                       'intervall'):
        build_runner(cfg)
