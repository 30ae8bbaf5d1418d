"""``KDRunner``: MMEngine's ``Runner`` with the fixes distillation runs need
on current PyTorch and on machines without a GPU."""
import os
import os.path as osp
import re
from typing import Optional

import torch
from mmengine.device import get_device
from mmengine.dist import all_gather_object, is_distributed, is_main_process
from mmengine.model import convert_sync_batchnorm, is_model_wrapper
from mmengine.runner import CheckpointLoader, Runner

from mmcls_kd.checkpoint import (StateDictMismatchError, fit_report,
                                 is_distillation_state, split_student,
                                 state_dict_of)
from mmcls_kd.datasets.seeded import seed_batch_augments, seeded_loader
from mmcls_kd.registry import RUNNERS
from .dist import exit_with_launcher, init_cpu_dist
from .loss_terms import default_ddp
from .hooks.rng_state import training_rng_state
from .loops import ResumableEpochBasedTrainLoop, TeacherOnceValLoop
from .preflight import preflight
from .workdir_lock import lock_work_dir

# Hooks every KDRunner run has, in addition to the configured ones.
_ALWAYS_ON_HOOKS = ('FiniteLossHook', 'RNGStateHook', 'RankMeanLossHook',
                    'DistillLossWarmupHook', 'CollectiveWatchdogHook',
                    'PlainCheckpointHook', 'CTKDCurriculumHook')
#: The gloo process group's timeout of CPU runs without
#: ``env_cfg.dist_cfg.timeout``: a stopped rank ends the run after 5 minutes
#: instead of PyTorch's 30 (CPU steps are short; GPU runs keep MMEngine's).
CPU_DIST_TIMEOUT_S = 300


def _describe_dataset(dataloader: dict) -> str:
    dataset = dataloader.get('dataset', {})
    if not isinstance(dataset, dict):
        return type(dataset).__name__
    keys = ('data_root', 'ann_file', 'data_prefix', 'split', 'indices')
    where = ', '.join(f'{k}={dataset[k]!r}' for k in keys
                      if dataset.get(k) not in (None, ''))
    return f"{dataset.get('type')} ({where})" if where else str(
        dataset.get('type'))


def check_forwarded_hook_arguments(hooks) -> None:
    """MMEngine's ``CheckpointHook`` takes any keyword and hands the ones it
    does not know to ``Runner.save_checkpoint`` at the first save: a
    misspelt ``intervall=5`` failed an epoch into the run. Checked when the
    hooks are built instead."""
    from mmengine.hooks import CheckpointHook

    from .overrides import class_arguments
    allowed = class_arguments(Runner.save_checkpoint)
    for hook in hooks:
        if not isinstance(hook, CheckpointHook):
            continue
        unknown = sorted(set(hook.args) - allowed)
        if unknown:
            raise TypeError(
                f'default_hooks.checkpoint: CheckpointHook takes no argument '
                f'{", ".join(unknown)} (nor does Runner.save_checkpoint, '
                'which it passes unknown ones to)')


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint MMEngine's ``last_checkpoint`` pointer in ``work_dir``
    names, None without a pointer.

    The pointer holds an absolute path: for a work dir moved elsewhere
    since, the file of that name in ``work_dir`` is taken. A pointer to a
    file that is in neither place is an error, not a fresh start.
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return None
    with open(pointer) as f:
        recorded = f.read().strip()
    moved = osp.join(work_dir, osp.basename(recorded))
    for path in (recorded, moved):
        if osp.isfile(path):
            return path
    raise FileNotFoundError(
        f'{pointer} names {recorded}, which does not exist, and neither does '
        f'{moved}: pass the checkpoint to resume with --resume PATH')


def loader_defaults(dataloader: dict) -> dict:
    """What a shipped loader does unless its config says otherwise: workers
    that persist across epochs (no re-spawn per epoch and per validation),
    and pinned memory exactly when CUDA is present (pinning on a machine
    without it only warns)."""
    dataloader = dict(dataloader)
    if dataloader.get('num_workers', 0) > 0:
        dataloader.setdefault('persistent_workers', True)
    cuda = torch.cuda.is_available()
    dataloader['pin_memory'] = cuda and dataloader.get('pin_memory', True)
    return dataloader


@RUNNERS.register_module()
class KDRunner(Runner):
    """MMEngine's ``Runner`` with what long distillation runs need.

    * The distributed backend follows the device: NCCL on GPUs, gloo on CPUs.
      Distributed models are wrapped in
      :class:`~mmcls_kd.engine.loss_terms.KDDistributedDataParallel`
      (MMEngine's default DDP, whose train step hands DOT the losses by
      term), and an optimizer wrapper that checks its model (DOT) does so
      before training.
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
    * :class:`CollectiveWatchdogHook` (always on) logs where a rank waits
      when another stops; CPU process groups time out after
      ``CPU_DIST_TIMEOUT_S`` unless ``env_cfg.dist_cfg.timeout`` says
      otherwise.
    * Validation without a loop type is :class:`TeacherOnceValLoop`.
    * :func:`~mmcls_kd.engine.preflight.preflight` checks the config before
      anything is built: data and checkpoint paths, and no top-level
      ``teacher``/``teacher_ckpt`` that differs from the model's.
    * A data set without samples stops the run when its data loader is
      built, naming it.
    * A training run holds a lock on its work dir
      (:func:`~mmcls_kd.engine.workdir_lock.lock_work_dir`): a second one
      started into it stops before writing anything.
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
        check_forwarded_hook_arguments(self.hooks)

    @classmethod
    def from_cfg(cls, cfg) -> 'KDRunner':
        loader = cfg.get('train_dataloader')
        if ((cfg.get('model') or {}).get('teacher_cache')
                and isinstance(loader, dict)
                and loader.get('seeded_augment') is None):
            # A cache holds the seeded augmentation: a run from it uses it
            # unless told otherwise (which the preflight then refuses).
            loader['seeded_augment'] = True
        preflight(cfg)
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
        # ``seeded_augment=True``: augmentation as a function of (seed,
        # epoch, sample), see mmcls_kd.datasets.seeded.
        dataloader = seeded_loader(loader_defaults(dataloader))
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
            partial = osp.join(out_dir, f'{filename}.partial')
            try:
                super().save_checkpoint(out_dir, osp.basename(partial), *args,
                                        **kwargs)
            except BaseException:
                # A full disk or an interrupt: nothing half-written is left.
                if osp.exists(partial):
                    os.remove(partial)
                raise
            # Atomic on POSIX: readers see the old file or the whole new one.
            os.replace(partial, osp.join(out_dir, filename))
        finally:
            self.rank_rng_states = None

    def setup_env(self, env_cfg: dict) -> None:
        if self.distributed and self.launcher == 'pytorch':
            exit_with_launcher()
        if (self.distributed and not is_distributed()
                and not torch.cuda.is_available()):
            timeout = env_cfg.get('dist_cfg', {}).get('timeout',
                                                      CPU_DIST_TIMEOUT_S)
            init_cpu_dist(self.launcher, timeout)
        super().setup_env(env_cfg)
        if self._train_loop is not None:
            # Before the log dir and the config dump: a second training run
            # into this work dir stops here, having written nothing.
            self._work_dir_lock = lock_work_dir(self._work_dir)

    def train(self):
        try:
            self._seed_batch_augments()
            self._check_teacher_cache_data()
            return super().train()
        finally:
            lock = getattr(self, '_work_dir_lock', None)
            if lock is not None:
                lock.release()

    def _seed_batch_augments(self) -> None:
        """With ``train_dataloader.seeded_augment``, the batch augments
        (Mixup/CutMix) draw from (seed, epoch, iteration, rank) too."""
        loader = self.cfg.get('train_dataloader') or {}
        if isinstance(loader, dict) and loader.get('seeded_augment'):
            model = self.model.module if is_model_wrapper(
                self.model) else self.model
            seed_batch_augments(model.data_preprocessor, self.seed)

    def _check_teacher_cache_data(self) -> None:
        """The data list of a cached teacher's run, checked against the
        cache before the first iteration (the rest of the manifest was
        checked with the config)."""
        model = self.model.module if is_model_wrapper(
            self.model) else self.model
        cache = getattr(model, 'teacher_cache', None)
        if cache:
            from mmcls_kd.cache import check_run, read_manifest
            check_run(read_manifest(cache), self.cfg, cache,
                      dataset=self.train_dataloader.dataset,
                      world_size=self.world_size)

    def wrap_model(self, model_wrapper_cfg, model):
        if (not self.distributed or model_wrapper_cfg is not None
                or is_model_wrapper(model)):
            return super().wrap_model(model_wrapper_cfg, model)
        # MMEngine's default wrapper, as one whose train step hands DOT the
        # losses by term.
        model = model.to(get_device())
        if self.cfg.get('sync_bn', None) is not None:
            model = convert_sync_batchnorm(model, self.cfg.sync_bn)
        return default_ddp(model,
                           self.cfg.get('find_unused_parameters', False))

    def build_optim_wrapper(self, optim_wrapper):
        built = super().build_optim_wrapper(optim_wrapper)
        # An optimizer wrapper that needs more of the model than its
        # parameters (DOT: the losses by term) checks it before training.
        check = getattr(built, 'check_model', None)
        if callable(check):
            check(self.model)
        return built

    def load_or_resume(self) -> None:
        if not self._has_loaded and self._resume and self._load_from is None:
            latest = latest_checkpoint(self.work_dir)
            if latest is None:
                self.logger.warning(
                    f'resume: nothing to resume in {self.work_dir} (no '
                    'last_checkpoint there); training starts from scratch')
                self._resume = False
            else:
                self.logger.info(f'resume: the latest checkpoint of the work '
                                 f'dir is {latest}')
                self._load_from = latest
        return super().load_or_resume()

    def resume(self, filename: str, *args, **kwargs) -> None:
        # Training checkpoints load weights-only (PlainCheckpointHook): no
        # file needs to be trusted to be resumed.
        self._resuming = True
        try:
            return super().resume(filename, *args, **kwargs)
        finally:
            self._resuming = False

    def load_checkpoint(self,
                        filename: str,
                        map_location='cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]):
        """Load ``filename`` into the model strictly unless the config's
        ``load_cfg=dict(strict=False)`` says otherwise (fine-tuning with a new
        head), for evaluation (``load_from``) and resume alike: MMEngine
        loads non-strictly, so a checkpoint of another model was evaluated
        with a warning line.

        A distillation checkpoint given to a plain classifier loads its
        student (``architecture.*``); a classifier checkpoint given to a
        distillation model loads into its student. Both are logged.
        """
        options = dict(self.cfg.get('load_cfg') or {})
        strict = options.get('strict', True)
        revise_keys = options.get('revise_keys', revise_keys)
        checkpoint = CheckpointLoader.load_checkpoint(
            filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(
            self.model) else self.model
        state = state_dict_of(checkpoint, filename)
        for pattern, replacement in revise_keys:
            state = {re.sub(pattern, replacement, k): v
                     for k, v in state.items()}
        state = self._student_part(model, state, filename)
        report = fit_report(model.state_dict(), state)
        if not report.fits:
            if strict:
                raise StateDictMismatchError(
                    filename, 'the model of this config', report,
                    'this checkpoint was written by a run of another model'
                    if getattr(self, '_resuming', False) else
                    'set load_cfg=dict(strict=False) to load the parts that '
                    'fit (fine-tuning)')
            self.logger.warning(
                f'load_cfg.strict=False: loaded the parts of {filename} that '
                f'fit; left out: {report}')
            left_out = set(report.unexpected) | {
                key for key, _, _ in report.mis_shaped}
            state = {k: v for k, v in state.items() if k not in left_out}
        model.load_state_dict(state, strict=False)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def _student_part(self, model, state: dict, source: str) -> dict:
        """The part of ``state`` meant for ``model`` when one is a
        distillation algorithm and the other a classifier."""
        expected = model.state_dict()
        if is_distillation_state(state) and not is_distillation_state(
                expected):
            self.logger.info(f'{source} is a distillation checkpoint: '
                             'loading its student (architecture.*)')
            return split_student(state, 'classifier', source)[0]
        if is_distillation_state(expected) and not is_distillation_state(
                state):
            self.logger.info(f'{source} is a classifier checkpoint: loading '
                             "it as the distillation model's student; the "
                             'rest keeps its weights')
            student = {f'architecture.{k}': v for k, v in state.items()}
            return {**{k: v for k, v in expected.items()
                       if not k.startswith('architecture.')}, **student}
        return state
