"""``KDRunner``: MMEngine's ``Runner`` with the fixes distillation runs need
on current PyTorch and on machines without a GPU."""
import itertools
import os
import os.path as osp
import subprocess
from typing import Iterator, Sequence

import torch
import torch.distributed as torch_dist
from mmengine.dist import all_gather_object, is_distributed, is_main_process
from mmengine.runner import EpochBasedTrainLoop, Runner
from torch.utils.data import DataLoader

from mmcls_kd.compat.checkpoint import trusted_checkpoint
from mmcls_kd.registry import LOOPS, RUNNERS
from .hooks.rng_state import rng_preserved, training_rng_state
from .val_loop import TeacherOnceValLoop

# Hooks every KDRunner run has, in addition to the configured ones.
_ALWAYS_ON_HOOKS = ('FiniteLossHook', 'RNGStateHook', 'RankMeanLossHook',
                    'DistillLossWarmupHook')


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


class _SkipBatches:
    """A batch sampler that leaves out the first ``skip`` batches of
    another: nothing is loaded for them."""

    def __init__(self, batch_sampler, skip: int) -> None:
        self.batch_sampler = batch_sampler
        self.skip = skip

    def __iter__(self) -> Iterator[Sequence[int]]:
        return itertools.islice(iter(self.batch_sampler), self.skip, None)

    def __len__(self) -> int:
        return max(len(self.batch_sampler) - self.skip, 0)


@LOOPS.register_module()
class ResumableEpochBasedTrainLoop(EpochBasedTrainLoop):
    """MMEngine's ``EpochBasedTrainLoop``, with two changes for an exact
    resume (``KDRunner`` uses it for every ``by_epoch=True`` train config).

    * A run resumed from a checkpoint taken in the middle of an epoch (e.g.
      ``CheckpointHook(by_epoch=False)``) continues with the next batch of
      the same data order. MMEngine restarts the interrupted epoch from its
      first batch: the batches before the checkpoint are trained twice and
      the run ends with more iterations than ``max_iters``. The samplers'
      order is a function of the seed and the epoch (``DefaultSampler``), so
      the batches are skipped by index, without loading them.
    * Validation leaves the random generators as it found them, so training
      draws the same numbers whichever epochs are validated, and a run
      resumed from an end-of-epoch checkpoint does too.
    """

    def run(self) -> torch.nn.Module:
        self.runner.call_hook('before_train')
        while self._epoch < self._max_epochs and not self.stop_training:
            self.run_epoch()
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None
                    and self._epoch >= self.val_begin
                    and (self._epoch % self.val_interval == 0
                         or self._epoch == self._max_epochs)):
                with rng_preserved():
                    self.runner.val_loop.run()
        self.runner.call_hook('after_train')
        return self.runner.model

    def run_epoch(self) -> None:
        done = self._iter - self._epoch * len(self.dataloader)
        if done == 0:
            return super().run_epoch()
        if not 0 < done <= len(self.dataloader) or \
                self.dataloader.batch_sampler is None:
            self.runner.logger.warning(
                f'Resumed at iteration {self._iter} of epoch '
                f'{self._epoch + 1}, which does not fit epochs of '
                f'{len(self.dataloader)} batches: the epoch is run whole.')
            return super().run_epoch()
        self.runner.logger.info(
            f'Resumed in epoch {self._epoch + 1}: its first {done} batches '
            'were trained before the checkpoint and are skipped.')
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        # Creating an iterator draws a worker seed from torch's generator;
        # the uninterrupted run drew it before the checkpoint.
        with rng_preserved():
            batches = iter(self._rest_of_epoch(done))
        for idx, data_batch in enumerate(batches, start=done):
            self.run_iter(idx, data_batch)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1

    def _rest_of_epoch(self, skip: int) -> DataLoader:
        loader = self.dataloader
        return DataLoader(
            loader.dataset,
            batch_sampler=_SkipBatches(loader.batch_sampler, skip),
            num_workers=loader.num_workers,
            collate_fn=loader.collate_fn,
            pin_memory=loader.pin_memory,
            timeout=loader.timeout,
            worker_init_fn=loader.worker_init_fn,
            multiprocessing_context=loader.multiprocessing_context,
            generator=loader.generator,
            prefetch_factor=loader.prefetch_factor,
            pin_memory_device=loader.pin_memory_device,
            in_order=loader.in_order)


def _describe_dataset(dataloader: dict) -> str:
    dataset = dataloader.get('dataset', {})
    if not isinstance(dataset, dict):
        return type(dataset).__name__
    keys = ('data_root', 'ann_file', 'data_prefix', 'split', 'indices')
    where = ', '.join(f'{k}={dataset[k]!r}' for k in keys
                      if dataset.get(k) not in (None, ''))
    return f"{dataset.get('type')} ({where})" if where else str(
        dataset.get('type'))


def check_helper_keys(cfg) -> None:
    """Refuse a top-level ``teacher`` / ``teacher_ckpt`` that is set and
    differs from the model's (``--cfg-options teacher_ckpt=X`` instead of
    ``model.teacher_ckpt=X``)."""
    model = cfg.get('model') or {}
    for key in ('teacher', 'teacher_ckpt'):
        helper = cfg.get(key)
        if helper is not None and helper != model.get(key):
            raise ValueError(
                f'the top-level {key} differs from model.{key}, which is the '
                f'one the model uses: set model.{key} instead (e.g. '
                f'--cfg-options model.{key}=...)')


@RUNNERS.register_module()
class KDRunner(Runner):
    """MMEngine's ``Runner`` with what long distillation runs need.

    * The distributed backend follows the device: NCCL on GPUs, gloo on CPUs.
    * ``resume`` loads the run's own checkpoints, which torch >= 2.6's
      weights-only ``torch.load`` refuses.
    * Checkpoints are written to a temporary name and renamed, so a crash
      while saving never leaves a half-written file for resume to load.
    * :class:`FiniteLossHook` is always on: a NaN loss stops the run.
    * Resume is exact: :class:`RNGStateHook` (always on) stores the random
      generator states of every rank, and epoch-based training resumed in
      the middle of an epoch continues with its next batch
      (:class:`ResumableEpochBasedTrainLoop`).
    * :class:`RankMeanLossHook` (always on) logs losses averaged over the
      ranks: the loss of the whole batch.
    * :class:`DistillLossWarmupHook` (always on) sets the warm-up factor
      of every loss that has one (DKD, ReviewKD) from the epoch.
    * Validation without a loop type is :class:`TeacherOnceValLoop`.
    * A top-level ``teacher`` or ``teacher_ckpt`` (the helpers the teacher
      base files define) that differs from the model's stops the run: the
      model's are the ones used (``--cfg-options teacher_ckpt=X`` would
      otherwise be ignored).
    * A data set without samples stops the run when its data loader is
      built, naming it.
    """

    def register_hooks(self, default_hooks=None, custom_hooks=None) -> None:
        custom_hooks = list(custom_hooks or [])
        listed = {
            h.get('type') if isinstance(h, dict) else type(h).__name__
            for h in custom_hooks
        }
        # `_scope_`: found from any default scope (MMDetection's too); a
        # `mmcls_kd.` prefix is not, as the scope is not a child of the root.
        custom_hooks += [
            dict(type=name, _scope_='mmcls_kd') for name in _ALWAYS_ON_HOOKS
            if name not in listed
        ]
        super().register_hooks(default_hooks, custom_hooks)

    @classmethod
    def from_cfg(cls, cfg) -> 'KDRunner':
        check_helper_keys(cfg)
        return super().from_cfg(cfg)

    def build_val_loop(self, loop):
        # Distillation configs report the teacher's accuracy once; for a
        # model without a teacher this is MMEngine's ValLoop.
        if isinstance(loop, dict) and 'type' not in loop:
            loop = dict(loop, type=TeacherOnceValLoop)
        return super().build_val_loop(loop)

    def build_train_loop(self, loop):
        if isinstance(loop, dict) and 'type' not in loop and loop.get(
                'by_epoch', False):
            loop = {k: v for k, v in loop.items() if k != 'by_epoch'}
            loop['type'] = ResumableEpochBasedTrainLoop
        return super().build_train_loop(loop)

    @staticmethod
    def build_dataloader(dataloader, seed=None, diff_rank_seed=False):
        if not isinstance(dataloader, dict):
            return Runner.build_dataloader(dataloader, seed, diff_rank_seed)
        try:
            loader = Runner.build_dataloader(dataloader, seed, diff_rank_seed)
        except ValueError as err:
            # MMEngine serialises the data list with ``np.concatenate``,
            # which fails with this message when the list is empty.
            if 'need at least one array to concatenate' not in str(err):
                raise
            raise ValueError(
                f'the data set {_describe_dataset(dataloader)} has no '
                'samples: check its annotation file, data root and '
                'indices') from err
        if not hasattr(loader.dataset, '__len__'):
            return loader  # an iterable data set: its size is unknown
        if len(loader.dataset) == 0:
            raise ValueError(
                f'the data set {_describe_dataset(dataloader)} has no '
                'samples: check its annotation file, data root and indices')
        if len(loader) == 0:
            raise ValueError(
                f'the data loader of {_describe_dataset(dataloader)} yields '
                f'no batch: {len(loader.dataset)} samples, batch_size '
                f"{dataloader.get('batch_size')} and drop_last")
        return loader

    def save_checkpoint(self, out_dir: str, filename: str, *args,
                        **kwargs) -> None:
        """Save on rank 0; every rank must call it, as MMEngine's
        ``CheckpointHook`` does (MMEngine's version returns at once on the
        others): the ranks' generator states are gathered here for
        :class:`RNGStateHook`."""
        self.rank_rng_states = all_gather_object(training_rng_state())
        try:
            if not is_main_process():
                return
            partial = f'{filename}.partial'
            super().save_checkpoint(out_dir, partial, *args, **kwargs)
            # Atomic on POSIX: readers see the old file or the whole new one.
            os.replace(
                osp.join(out_dir, partial), osp.join(out_dir, filename))
        finally:
            self.rank_rng_states = None

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
