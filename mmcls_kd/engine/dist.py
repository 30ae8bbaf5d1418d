"""A gloo process group for CPU-only ranks, from any of the launchers."""
import ctypes
import gc
import os
import signal
import subprocess
import sys
from datetime import timedelta

import torch.distributed as torch_dist


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
    torch_dist.init_process_group(
        backend='gloo',
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']),
        timeout=timedelta(seconds=timeout_s))


def close_process_group() -> None:
    """End the run's process group, once every rank got here, and with it
    the gloo threads.

    A process that exits with gloo's threads still running can abort in
    its teardown ("terminate called without an active exception", SIGABRT)
    while the other ranks exit cleanly: the launcher then reports a failed
    run after a finished one. ``destroy_process_group`` alone does not end
    them: the DDP wrapper of the run's model holds the group, so its
    threads live on until the interpreter's own teardown. The caller drops
    its runner first; the collection here frees the wrapper (the runner's
    hooks refer back to it), so that destroying the group ends its threads
    here. ``tools/train.py``, ``tools/test.py`` and
    ``tools/cache_teacher.py`` call this when the work is done; a no-op
    without a process group.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        gc.collect()
        torch_dist.barrier()
        torch_dist.destroy_process_group()


def exit_with_launcher() -> None:
    """End this worker when the ``torchrun`` agent that started it dies.

    Killing the agent (SIGKILL, a node's job ending) would otherwise leave
    its workers training as orphans. On Linux the kernel sends the worker
    SIGTERM when its parent exits (``PR_SET_PDEATHSIG``); a no-op outside
    ``torchrun`` and on other systems.
    """
    if 'TORCHELASTIC_RUN_ID' not in os.environ or not sys.platform.startswith(
            'linux'):
        return
    parent = os.getppid()
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if parent == 1 or os.getppid() != parent:  # the agent died already
        os.kill(os.getpid(), signal.SIGTERM)
