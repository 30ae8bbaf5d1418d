"""Bad paths stop before anything is built, naming the key and the path."""
import pytest
from mmengine.config import Config

from mmcls_kd.apis import build_runner, check_data_paths, load_config


def _cfg(dataset):
    return Config(dict(train_dataloader=dict(dataset=dataset)))


def test_missing_data_root_is_named(tmp_path):
    root = str(tmp_path / 'imagenet')
    with pytest.raises(FileNotFoundError) as err:
        check_data_paths(_cfg(dict(type='ImageNet', data_root=root)))
    assert 'train_dataloader.dataset.data_root' in str(err.value)
    assert root in str(err.value)


def test_missing_ann_file_inside_a_wrapper_is_named(tmp_path):
    dataset = dict(type='RepeatDataset', times=2, dataset=dict(
        type='CustomDataset', data_root=str(tmp_path), ann_file='meta.txt'))
    with pytest.raises(FileNotFoundError) as err:
        check_data_paths(_cfg(dataset))
    assert 'train_dataloader.dataset.dataset.ann_file' in str(err.value)
    assert str(tmp_path / 'meta.txt') in str(err.value)


def test_existing_paths_pass(tmp_path):
    (tmp_path / 'meta.txt').write_text('a.png 0\n')
    check_data_paths(_cfg(dict(data_root=str(tmp_path), ann_file='meta.txt')))


def test_build_runner_checks_paths_first(tmp_path):
    from tests.conftest import STUDENT_CONFIG
    cfg = load_config(STUDENT_CONFIG, {
        'train_dataloader.dataset.data_root': str(tmp_path / 'gone'),
        'work_dir': str(tmp_path / 'work')})
    with pytest.raises(FileNotFoundError, match='gone'):
        build_runner(cfg)
    assert not (tmp_path / 'work').exists()


def test_missing_config_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.py'):
        load_config(str(tmp_path / 'nope.py'))


def test_runner_type_is_found_whatever_the_current_scope(tmp_path):
    """E.g. after an MMDetection runner made ``mmdet`` the current scope,
    or under a config whose scope is ``mmdet`` (configs/downstream)."""
    from mmengine.registry import DefaultScope

    from mmcls_kd.engine.runner import KDRunner
    from tests.conftest import STUDENT_CONFIG
    cfg = load_config(STUDENT_CONFIG, {'work_dir': str(tmp_path)})
    for runner_type in ('KDRunner', 'mmcls_kd.KDRunner'):
        cfg.runner_type = runner_type
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            assert type(build_runner(cfg)) is KDRunner


def test_unknown_runner_type_is_named(tmp_path):
    from tests.conftest import STUDENT_CONFIG
    cfg = load_config(STUDENT_CONFIG, {'work_dir': str(tmp_path),
                                       'runner_type': 'NoSuchRunner'})
    with pytest.raises(KeyError, match="'NoSuchRunner' is not registered"):
        build_runner(cfg)


@pytest.mark.parametrize('wrapper, expected', [
    (dict(optimizer=dict(type='SGD', lr=0.1)),
     dict(type='DeviceAmpOptimWrapper', loss_scale='dynamic',
          optimizer=dict(type='SGD', lr=0.1))),
    # DOT keeps its type and turns its own mixed precision on.
    (dict(type='DOTOptimWrapper', delta=0.075),
     dict(type='DOTOptimWrapper', delta=0.075, amp=True)),
])
def test_amp_option_keeps_dot(wrapper, expected):
    from mmcls_kd.apis.runner_utils import enable_amp
    enable_amp(wrapper)
    assert wrapper == expected
