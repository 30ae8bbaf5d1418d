"""``KDRunner``: MMEngine's ``Runner`` with the fixes distillation runs need
on current PyTorch and on machines without a GPU."""
import os
import os.path as osp
import subprocess

import torch
import torch.distributed as torch_dist
from mmengine.dist import is_distributed, master_only
from mmengine.runner import Runner

from mmcls_kd.compat.checkpoint import trusted_checkpoint
from mmcls_kd.registry import RUNNERS


def _slurm_env() -> None:
    """Translate SLURM's variables into ``env://`` ones, as MMEngine does."""
    os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
    os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
    os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', '0'))
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        nodes = os.environ['SLURM_NODELIST']
        os.environ['MASTER_ADDR'] = subprocess.getoutput(
            f'scontrol show hostname {nodes} | head -n1')


def _mpi_env() -> None:
    os.environ.setdefault('RANK', os.environ['OMPI_COMM_WORLD_RANK'])
    os.environ.setdefault('WORLD_SIZE', os.environ['OMPI_COMM_WORLD_SIZE'])
    os.environ.setdefault('LOCAL_RANK',
                          os.environ['OMPI_COMM_WORLD_LOCAL_RANK'])
    os.environ.setdefault('MASTER_ADDR', '127.0.0.1')
    os.environ.setdefault('MASTER_PORT', '29500')


def init_cpu_dist(launcher: str, timeout_s: int = 1800) -> None:
    """Start a gloo process group for CPU-only ranks.

    MMEngine's ``init_dist`` calls ``torch.cuda.set_device`` and defaults to
    NCCL, so it cannot start ranks on a machine without CUDA.
    """
    if launcher == 'slurm':
        _slurm_env()
    elif launcher == 'mpi':
        _mpi_env()
    elif launcher != 'pytorch':
        raise ValueError(f'unknown launcher {launcher!r}; expected one of '
                         "'pytorch', 'slurm', 'mpi'")
    from datetime import timedelta
    torch_dist.init_process_group(
        backend='gloo',
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']),
        timeout=timedelta(seconds=timeout_s))


@RUNNERS.register_module()
class KDRunner(Runner):
    """MMEngine's ``Runner`` with what long distillation runs need.

    * The distributed backend follows the device: NCCL on GPUs, gloo on CPUs.
    * ``resume`` loads the run's own checkpoints, which torch >= 2.6's
      weights-only ``torch.load`` refuses.
    * Checkpoints are written to a temporary name and renamed, so a crash
      while saving never leaves a half-written file for resume to load.
    * :class:`FiniteLossHook` is always on: a NaN loss stops the run.
    """

    def register_hooks(self, default_hooks=None, custom_hooks=None) -> None:
        custom_hooks = list(custom_hooks or [])
        if not any(
                isinstance(h, dict) and h.get('type') == 'FiniteLossHook'
                for h in custom_hooks):
            custom_hooks.append(dict(type='FiniteLossHook'))
        super().register_hooks(default_hooks, custom_hooks)

    @master_only
    def save_checkpoint(self, out_dir: str, filename: str, *args,
                        **kwargs) -> None:
        partial = f'{filename}.partial'
        super().save_checkpoint(out_dir, partial, *args, **kwargs)
        # Atomic on POSIX: readers see the old file or the whole new one.
        os.replace(osp.join(out_dir, partial), osp.join(out_dir, filename))

    def setup_env(self, env_cfg: dict) -> None:
        if (self.distributed and not is_distributed()
                and not torch.cuda.is_available()):
            timeout = env_cfg.get('dist_cfg', {}).get('timeout', 1800)
            init_cpu_dist(self.launcher, timeout)
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg, model):
        if (self.distributed and not torch.cuda.is_available()
                and model_wrapper_cfg is None):
            # DDP rejects ``device_ids`` for a module that lives on the CPU.
            model_wrapper_cfg = dict(
                type='MMDistributedDataParallel',
                device_ids=None,
                broadcast_buffers=False,
                find_unused_parameters=self.cfg.get('find_unused_parameters',
                                                    False))
        return super().wrap_model(model_wrapper_cfg, model)

    def resume(self, filename: str, *args, **kwargs) -> None:
        inside = osp.realpath(filename).startswith(
            osp.realpath(self.work_dir) + os.sep)
        if not inside:
            # Not this run's file: the weights-only rule applies unless the
            # user trusted it (``tools/train.py --resume PATH`` does).
            return super().resume(filename, *args, **kwargs)
        with trusted_checkpoint(filename):
            return super().resume(filename, *args, **kwargs)
