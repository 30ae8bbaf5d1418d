"""An initialisation phase before distillation, in the same run."""
import difflib
import math
import os
import os.path as osp
from collections import defaultdict
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import build_optim_wrapper
from torch import nn

from mmcls_kd.apis.teachers import write_atomic
from mmcls_kd.registry import HOOKS

#: The checkpoint key of the phase's state.
CHECKPOINT_KEY = 'init_phase'
CHECKPOINT_PREFIX = 'init_epoch_'


def _algorithm(runner) -> nn.Module:
    model = runner.model
    return model.module if is_model_wrapper(model) else model


def _auto_scale_ratio(runner) -> float:
    """The factor ``auto_scale_lr`` scaled the run's learning rate by
    (computed as ``Runner.scale_lr`` does; it refuses to run once the
    parameter schedulers are built), 1 when it is off."""
    auto = runner.auto_scale_lr
    if not auto or not auto.get('enable', False):
        return 1.0
    batch = runner.world_size * runner.train_dataloader.batch_size
    return float(batch) / float(auto['base_batch_size'])


@HOOKS.register_module()
class InitPhaseHook(Hook):
    """Train some parts of a distillation model with some of its losses for
    ``epochs`` epochs before the configured training starts (the
    ``--init_epochs`` stage of the CRD benchmark code for AB, FT and FSP).

    During the phase only the modules named in ``trainable`` (names inside
    the algorithm, e.g. ``architecture.backbone`` or
    ``distiller.connectors.paraphraser``) train, in train mode, with an
    optimizer of their own (``optim_wrapper``, built over their parameters;
    constant learning rate); every other module is frozen and in eval mode.
    Only the distillation losses in ``losses`` are computed, and the
    student's task loss only with ``student_loss=True``. After the phase
    the modules train as configured, and the distillation losses computed
    are ``main_losses`` (by default every loss not in ``losses``).

    The phase runs when the first training epoch is about to start, over
    the training data loader (epoch ``e`` of the phase draws the sampler's
    order of epoch ``e``). The run's epoch and iteration counters, its
    optimizer and its parameter schedulers stay untouched, so the configured
    schedule starts after the phase as it would without it. The phase's
    learning rate is scaled as the run's by ``auto_scale_lr``
    (``--auto-scale-lr``), and ``tools/train.py --amp`` turns mixed
    precision on in the phase's optimizer wrapper too. A checkpoint
    (``init_epoch_<e>.pth``, the latest kept) is written after every epoch
    of the phase with the phase's progress (and optimizer state while it
    has epochs left), and named
    in ``last_checkpoint``: ``--resume`` continues an interrupted phase at
    the next epoch, and a run resumed after the phase does not repeat it.

    Under distributed training the frozen parameters get no gradient, so
    ``find_unused_parameters=True`` is required (checked).

    Args:
        epochs (int): Epochs of the phase.
        trainable (list[str]): Modules trained in the phase.
        losses (list[str]): Distillation losses computed in the phase.
        optim_wrapper (dict): The phase's optimizer wrapper, in the form of
            the config's ``optim_wrapper``.
        student_loss (bool): Compute the student's task loss in the phase.
            Defaults to False.
        main_losses (list[str], optional): Distillation losses computed
            after the phase. Defaults to every loss not in ``losses``.
        log_interval (int): Iterations between log lines. Defaults to 50.
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 epochs: int,
                 trainable: Sequence[str],
                 losses: Sequence[str],
                 optim_wrapper: dict,
                 student_loss: bool = False,
                 main_losses: Optional[Sequence[str]] = None,
                 log_interval: int = 50) -> None:
        if not (isinstance(epochs, int) and epochs >= 1):
            raise ValueError(
                f'InitPhaseHook: epochs must be an integer >= 1, got '
                f'{epochs!r}')
        if not trainable:
            raise ValueError('InitPhaseHook: trainable names no module')
        if not losses and not student_loss:
            raise ValueError('InitPhaseHook: the phase computes no loss '
                             '(losses is empty and student_loss is False)')
        self.epochs = epochs
        self.trainable = list(trainable)
        self.losses = list(losses)
        self.optim_wrapper_cfg = dict(optim_wrapper)
        self.student_loss = student_loss
        self.main_losses = None if main_losses is None else list(main_losses)
        self.log_interval = log_interval
        self.epochs_done = 0
        self.optim_wrapper = None
        self._loaded: Optional[dict] = None
        self._started_main = False

    # Checkpoints.

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = dict(epochs_done=self.epochs_done)
        # Its optimizer's state (momentum: the size of what it trains) only
        # while the phase has epochs left to resume.
        if self.optim_wrapper is not None and self.epochs_done < self.epochs:
            state['optim_wrapper'] = self.optim_wrapper.state_dict()
        checkpoint[CHECKPOINT_KEY] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # MMEngine's private flag: set for ``resume``, not ``load_from``.
        if getattr(runner, '_resume', False):
            self._loaded = checkpoint.get(CHECKPOINT_KEY)

    # Checks and set-up.

    def _modules(self, algorithm: nn.Module) -> Dict[str, nn.Module]:
        named = dict(algorithm.named_modules())
        found = {}
        for name in self.trainable:
            if name not in named:
                nearest = difflib.get_close_matches(name, list(named), n=3)
                hint = f'; nearest: {", ".join(nearest)}' if nearest else ''
                raise ValueError(f'InitPhaseHook: trainable module {name!r} '
                                 f'is not in the model{hint}')
            if name == 'teacher' or name.startswith('teacher.'):
                raise ValueError(f'InitPhaseHook: trainable module {name!r} '
                                 'is part of the frozen teacher')
            found[name] = named[name]
        return found

    def _check_losses(self, distiller: nn.Module) -> List[str]:
        known = list(getattr(distiller, 'distill_losses', {}))
        main = self.main_losses
        if main is None:
            main = [name for name in known if name not in self.losses]
        unknown = sorted(set(self.losses + main) - set(known))
        if unknown:
            raise ValueError(f'InitPhaseHook: the losses {unknown} are not '
                             f'distillation losses of the model {known}')
        return main

    def before_train(self, runner) -> None:
        model = runner.model
        if is_model_wrapper(model) and hasattr(
                model, 'find_unused_parameters') and \
                not model.find_unused_parameters:
            raise ValueError(
                'InitPhaseHook: the modules frozen during the initialisation '
                'phase get no gradient, which distributed training refuses '
                'unless find_unused_parameters=True is set in the config')
        algorithm = _algorithm(runner)
        self._main = self._check_losses(algorithm.distiller)
        modules = self._modules(algorithm)
        self.optim_wrapper = build_optim_wrapper(
            nn.ModuleList(modules.values()), self.optim_wrapper_cfg)
        ratio = _auto_scale_ratio(runner)
        if ratio != 1:
            for group in self.optim_wrapper.param_groups:
                group['lr'] *= ratio
            runner.logger.info('InitPhaseHook: the phase\'s learning rate '
                               f'scaled by {ratio} (auto_scale_lr)')
        if self._loaded:
            self.epochs_done = int(self._loaded.get('epochs_done', 0))
            if 'optim_wrapper' in self._loaded:
                self.optim_wrapper.load_state_dict(
                    self._loaded['optim_wrapper'])
            self._loaded = None

    # The phase.

    def before_train_epoch(self, runner) -> None:
        if self._started_main:
            return
        self._started_main = True
        if runner.iter == 0 and self.epochs_done < self.epochs:
            self._run(runner)
        elif self.epochs_done < self.epochs:
            runner.logger.warning(
                f'InitPhaseHook: resumed at iteration {runner.iter}, after '
                'the initialisation phase; the checkpoint records '
                f'{self.epochs_done} of its {self.epochs} epochs')
        _algorithm(runner).distiller.active_losses = frozenset(self._main)

    @contextmanager
    def _phase(self, algorithm: nn.Module) -> Iterator[None]:
        modules = self._modules(algorithm)
        requires_grad = {p: p.requires_grad for p in algorithm.parameters()}
        flags = (algorithm.calculate_student_loss, algorithm.student_trainable)
        algorithm.requires_grad_(False)
        algorithm.eval()
        for name, module in modules.items():
            module.requires_grad_(True)
            module.train()
        algorithm.calculate_student_loss = self.student_loss
        # A student without a trainable part runs without autograd.
        algorithm.student_trainable = self.student_loss or any(
            name == 'architecture' or name.startswith('architecture.')
            for name in modules)
        algorithm.distiller.active_losses = frozenset(self.losses)
        try:
            yield
        finally:
            for param, flag in requires_grad.items():
                param.requires_grad_(flag)
            (algorithm.calculate_student_loss,
             algorithm.student_trainable) = flags
            algorithm.distiller.active_losses = None
            algorithm.train()

    def _run(self, runner) -> None:
        loader = runner.train_dataloader
        sampler = getattr(loader, 'sampler', None)
        runner.logger.info(
            f'Initialisation phase: epochs {self.epochs_done + 1}-'
            f'{self.epochs}, training {", ".join(self.trainable)} with '
            f'{", ".join(self.losses) or "no distillation loss"}'
            f'{" and the task loss" if self.student_loss else ""}')
        with self._phase(_algorithm(runner)):
            for epoch in range(self.epochs_done, self.epochs):
                if hasattr(sampler, 'set_epoch'):
                    sampler.set_epoch(epoch)
                self._run_epoch(runner, loader, epoch)
                self.epochs_done = epoch + 1
                self._save(runner)
        if hasattr(sampler, 'set_epoch'):
            sampler.set_epoch(runner.epoch)

    def _run_epoch(self, runner, loader, epoch: int) -> None:
        totals: Dict[str, float] = defaultdict(float)
        count = 0
        for i, batch in enumerate(loader):
            log_vars = runner.model.train_step(
                batch, optim_wrapper=self.optim_wrapper)
            values = {k: float(v) for k, v in log_vars.items()}
            if not math.isfinite(values['loss']):
                raise FloatingPointError(
                    f'non-finite loss in epoch {epoch + 1} of the '
                    f'initialisation phase, iteration {i + 1}: ' +
                    ', '.join(f'{k}={v:.4g}' for k, v in values.items()))
            for key, value in values.items():
                totals[key] += value
            count += 1
            if (i + 1) % self.log_interval == 0:
                runner.logger.info(
                    f'Initialisation phase epoch [{epoch + 1}/{self.epochs}]'
                    f'[{i + 1}/{len(loader)}] ' + self._shown(values))
        means = {k: v / max(count, 1) for k, v in totals.items()}
        runner.logger.info(
            f'Initialisation phase epoch [{epoch + 1}/{self.epochs}] done, '
            f'mean ' + self._shown(means))

    def _shown(self, values: Dict[str, float]) -> str:
        lr = self.optim_wrapper.get_lr()['lr'][0]
        return f'lr: {lr:.4g} ' + ' '.join(f'{k}: {v:.4f}'
                                           for k, v in values.items())

    def _save(self, runner) -> None:
        filename = f'{CHECKPOINT_PREFIX}{self.epochs_done}.pth'
        # The run's counters as they are: no training epoch has ended yet.
        runner.save_checkpoint(
            runner.work_dir,
            filename,
            meta=dict(epoch=runner.epoch, iter=runner.iter))
        if not is_main_process():
            return
        path = osp.join(runner.work_dir, filename)
        write_atomic(
            osp.join(runner.work_dir, 'last_checkpoint'),
            lambda f: f.write(path.encode()))
        previous = osp.join(runner.work_dir,
                            f'{CHECKPOINT_PREFIX}{self.epochs_done - 1}.pth')
        if osp.exists(previous):
            os.remove(previous)
