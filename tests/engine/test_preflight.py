"""Preflight checks of the data: class folders that differ between the
training and validation sets stop the run before anything is built."""
import pytest
from mmengine.config import Config
from PIL import Image

from mmcls_kd.engine.preflight import check_class_folders, preflight


def _image_folders(root, classes):
    for name in classes:
        (root / name).mkdir(parents=True)
        Image.new('RGB', (4, 4)).save(root / name / 'x.png')
    return str(root)


def _config(train_root, val_root, **dataset):
    return Config(
        dict(train_dataloader=dict(dataset=dict(
            type='CustomDataset', data_root=train_root, **dataset)),
             val_dataloader=dict(dataset=dict(
                 type='CustomDataset', data_root=val_root, **dataset))))


def test_a_class_folder_missing_in_validation_is_refused(tmp_path):
    train = _image_folders(tmp_path / 'train', ['cat', 'dog', 'fox'])
    val = _image_folders(tmp_path / 'val', ['cat', 'fox'])
    # Without the check the data sets build and disagree: fox is class 2 in
    # training and class 1 in validation.
    from mmpretrain.datasets import CustomDataset
    assert CustomDataset(data_root=train).class_to_idx['fox'] == 2
    assert CustomDataset(data_root=val).class_to_idx['fox'] == 1
    with pytest.raises(ValueError,
                       match=r"only in training: \['dog'\]; only in "
                       r'validation: none'):
        preflight(_config(train, val))


def test_folders_matching_or_classes_given_pass(tmp_path):
    train = _image_folders(tmp_path / 'train', ['cat', 'dog'])
    val = _image_folders(tmp_path / 'val', ['cat', 'dog'])
    check_class_folders(_config(train, val))
    other = _image_folders(tmp_path / 'other', ['cat'])
    # With `classes` given, MMPretrain compares the folder count itself.
    check_class_folders(_config(train, other, classes=['cat', 'dog']))


def test_folders_under_a_data_prefix_are_compared(tmp_path):
    _image_folders(tmp_path / 'train', ['cat', 'dog'])
    _image_folders(tmp_path / 'val', ['cat', 'cow'])
    cfg = Config(
        dict(train_dataloader=dict(dataset=dict(type='CustomDataset',
                                                data_root=str(tmp_path),
                                                data_prefix='train')),
             val_dataloader=dict(dataset=dict(type='CustomDataset',
                                              data_root=str(tmp_path),
                                              data_prefix=dict(
                                                  img_path='val')))))
    with pytest.raises(ValueError, match=r"\['dog'\].*\['cow'\]"):
        check_class_folders(cfg)


def _in1k_config(name):
    from tests.conftest import REPO, parsed_config
    import os.path as osp
    return Config(parsed_config(osp.join(REPO, 'configs', name)).to_dict())


def test_data_root_reaches_every_data_set_the_run_reads(tmp_path):
    from mmcls_kd.engine.preflight import check_data_paths, set_data_root
    cfg = _in1k_config('crd/crd_resnet34_resnet18_8xb32_in1k.py')
    set_data_root(cfg, str(tmp_path))
    # CRD wraps the training set: the root lands on the wrapped ImageNet.
    assert cfg.train_dataloader.dataset.dataset.data_root == str(tmp_path)
    assert 'data_root' not in cfg.train_dataloader.dataset
    assert cfg.val_dataloader.dataset.data_root == str(tmp_path)
    check_data_paths(cfg)
    set_data_root(cfg, str(tmp_path / 'absent'))
    with pytest.raises(FileNotFoundError, match=r'train_dataloader.dataset'
                       r'.dataset.data_root does not exist: .*absent'):
        check_data_paths(cfg)


def test_an_evaluation_checks_only_its_test_loader(tmp_path):
    from mmcls_kd.engine.preflight import check_data_paths, used_loaders
    cfg = _in1k_config('nkd/nkd_resnet34_resnet18_8xb32_in1k.py')
    cfg.train_dataloader = cfg.train_cfg = cfg.optim_wrapper = None
    cfg.test_dataloader.dataset.data_root = str(tmp_path)
    assert used_loaders(cfg) == ('test_dataloader', )
    # The validation loader's root (data/imagenet) is absent: not checked.
    check_data_paths(cfg)
