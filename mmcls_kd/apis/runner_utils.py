"""What ``tools/train.py`` and ``tools/test.py`` share."""
import inspect
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner

from mmcls_kd.engine import KDRunner
from mmcls_kd.engine.overrides import check_overrides
from mmcls_kd.engine.preflight import preflight
from mmcls_kd.registry import OPTIM_WRAPPERS, RUNNERS


#: The variables each launcher sets for its ranks.
LAUNCHER_ENV = dict(
    pytorch=('RANK', 'bash tools/dist_train.sh CONFIG GPUS, or torchrun '
             '--nproc_per_node GPUS tools/train.py CONFIG --launcher pytorch'),
    slurm=('SLURM_PROCID', 'GPUS=N bash tools/slurm_train.sh PARTITION JOB '
           'CONFIG, or srun ... --launcher slurm'),
    mpi=('OMPI_COMM_WORLD_RANK', 'mpirun -np GPUS python tools/train.py '
         'CONFIG --launcher mpi'))


def launcher_problem(launcher: str) -> Optional[str]:
    """Why ``--launcher`` cannot work in this process (started without the
    launcher that sets its rank variables), or None."""
    if launcher not in LAUNCHER_ENV:
        return None
    variable, how = LAUNCHER_ENV[launcher]
    if variable in os.environ:
        return None
    return (f'--launcher {launcher} runs one process per rank, started by '
            f'its launcher, which sets {variable}; this process has no '
            f'{variable}. Start it with: {how}; for one process, leave '
            '--launcher out')


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


def enable_amp(optim_wrapper: dict) -> None:
    """``--amp``: an optimizer wrapper that has its own mixed precision
    (an ``amp`` argument, as DOT's) turns it on; any other is replaced by
    :class:`~mmcls_kd.engine.DeviceAmpOptimWrapper`."""
    wrapper = optim_wrapper.get('type', 'OptimWrapper')
    wrapper_cls = OPTIM_WRAPPERS.get(wrapper) if isinstance(
        wrapper, str) else wrapper
    if wrapper_cls is not None and 'amp' in inspect.signature(
            wrapper_cls).parameters:
        optim_wrapper['amp'] = True
        return
    optim_wrapper['type'] = 'DeviceAmpOptimWrapper'
    optim_wrapper.setdefault('loss_scale', 'dynamic')


def enable_amp_everywhere(cfg: Config) -> None:
    """``--amp`` for the whole run: :func:`enable_amp` on the config's
    optimizer wrapper and on those of its custom hooks (an initialisation
    phase's, :class:`~mmcls_kd.engine.hooks.InitPhaseHook`), which would
    otherwise train in float32."""
    enable_amp(cfg.optim_wrapper)
    for hook in cfg.get('custom_hooks', None) or []:
        if isinstance(hook, dict) and isinstance(
                hook.get('optim_wrapper'), dict):
            enable_amp(hook['optim_wrapper'])


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
