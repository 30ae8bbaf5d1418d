"""What ``tools/train.py`` and ``tools/test.py`` share."""
import os.path as osp
from typing import Iterator, Optional, Tuple

from mmengine.config import Config, ConfigDict
from mmengine.runner import Runner

from mmcls_kd.registry import RUNNERS

_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def load_config(path: str, options: Optional[dict] = None) -> Config:
    """Read a config and apply ``--cfg-options``."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    cfg = Config.fromfile(path)
    if options:
        cfg.merge_from_dict(options)
    return cfg


def _datasets(cfg: dict, where: str) -> Iterator[Tuple[str, dict]]:
    """Every dataset config under ``cfg``, wrappers included."""
    yield where, cfg
    if isinstance(cfg.get('dataset'), dict):
        yield from _datasets(cfg['dataset'], f'{where}.dataset')
    for i, child in enumerate(cfg.get('datasets') or []):
        if isinstance(child, dict):
            yield from _datasets(child, f'{where}.datasets[{i}]')


def check_data_paths(cfg: Config) -> None:
    """Fail before anything is built when a data set's files are missing.

    Checks ``data_root`` and ``ann_file`` (relative to ``data_root``) of every
    data loader of the config, and names the key and the path.
    """
    for loader_key in _LOADERS:
        loader = cfg.get(loader_key)
        if not isinstance(loader, dict) or not isinstance(
                loader.get('dataset'), dict):
            continue
        for where, dataset in _datasets(loader['dataset'],
                                        f'{loader_key}.dataset'):
            root = dataset.get('data_root') or ''
            if root and not osp.isdir(root):
                raise FileNotFoundError(
                    f'{where}.data_root does not exist: {root} (set it with '
                    f'--cfg-options {where}.data_root=PATH)')
            ann_file = dataset.get('ann_file') or ''
            if ann_file:
                path = osp.join(root, ann_file)
                if not osp.isfile(path):
                    raise FileNotFoundError(
                        f'{where}.ann_file does not exist: {path}')


def build_runner(cfg: Config) -> Runner:
    """Build the config's runner (``runner_type``, else MMEngine's)."""
    check_data_paths(cfg)
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
