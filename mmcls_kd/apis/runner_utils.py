"""What ``tools/train.py`` and ``tools/test.py`` share."""
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner

from mmcls_kd.engine import KDRunner
from mmcls_kd.engine.overrides import check_overrides
from mmcls_kd.engine.preflight import preflight
from mmcls_kd.registry import RUNNERS


def load_config(path: str, options: Optional[dict] = None) -> Config:
    """Read a config and apply ``--cfg-options``, refusing keys that nothing
    would read (:func:`check_overrides`)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    cfg = Config.fromfile(path)
    if options:
        check_overrides(cfg, options)
        cfg.merge_from_dict(options)
    return cfg


def build_runner(cfg: Config) -> Runner:
    """Build the config's runner (``runner_type``, else MMEngine's).

    ``runner_type`` is looked up in this package's registry whatever the
    current default scope: ``RUNNERS.build`` would search the default
    scope's registry instead, where ``mmcls_kd.KDRunner`` is not found when
    that scope is e.g. ``mmdet`` (a sibling, not a child, of ``mmcls_kd``).
    """
    runner_type = cfg.get('runner_type', 'Runner')
    runner_cls = RUNNERS.get(runner_type) if isinstance(
        runner_type, str) else runner_type
    if runner_cls is None:
        raise KeyError(f'runner_type {runner_type!r} is not registered in '
                       f'the {RUNNERS.scope} scope or its parents')
    if not issubclass(runner_cls, KDRunner):
        preflight(cfg)  # KDRunner.from_cfg runs it itself
    return runner_cls.from_cfg(cfg)
