"""The training and validation loops of ``KDRunner``: exact resume in the
middle of an epoch, and the teacher's accuracy reported once."""
import itertools
from typing import Dict, Iterator, Sequence

import torch
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop, ValLoop
from torch.utils.data import DataLoader

from mmcls_kd.registry import LOOPS
from .hooks.rng_state import rng_preserved


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


@LOOPS.register_module()
class TeacherOnceValLoop(ValLoop):
    """``ValLoop`` that evaluates the teacher on the first validation only.

    The teacher is frozen, so its accuracy cannot change during the run; one
    evaluation is enough to show at once a teacher that was converted or
    loaded badly, and costs one pass instead of one per epoch (MMRazor's
    ``SingleTeacherDistillValLoop`` evaluates it every time). Its
    metrics are logged with the prefix ``teacher/``. Models without a teacher
    (self-distillation) validate as a plain ``ValLoop``. The teacher is fed
    as during training: the algorithm's preprocessor, then the conversion
    to a timm teacher's own input, if any.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.teacher_metrics: Dict[str, float] = {}

    def _algorithm(self):
        model = self.runner.model
        return model.module if is_model_wrapper(model) else model

    @torch.no_grad()
    def _evaluate_teacher(self, algorithm) -> Dict[str, float]:
        algorithm.teacher.eval()
        for data_batch in self.dataloader:
            # The algorithm's (student's) preprocessor: during training the
            # teacher sees exactly its output.
            data = algorithm.data_preprocessor(data_batch, False)
            outputs = algorithm.run_teacher(**data, mode='predict')
            self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        return {f'teacher/{k}': v for k, v in metrics.items()}

    def run(self) -> dict:
        algorithm = self._algorithm()
        cache = getattr(algorithm, 'teacher_cache', None)
        if cache and not self.teacher_metrics:
            # A cached teacher answers training batches only: its accuracy
            # is the one the cache builder measured.
            from mmcls_kd.cache import read_manifest
            top1 = read_manifest(cache).get('teacher_accuracy')
            self.teacher_metrics = {'teacher/accuracy/top1': top1} if \
                top1 is not None else {'teacher/skipped': 0.0}
            self.runner.logger.info(
                f'Teacher (from the cache {cache}): '
                + (f'accuracy/top1 {top1:.4f}' if top1 is not None else
                   'not evaluated (the cache has no accuracy)'))
            if top1 is not None:
                self.runner.message_hub.update_scalar(
                    'val/teacher/accuracy/top1', top1)
        if hasattr(algorithm, 'teacher') and not self.teacher_metrics:
            # Before the student's pass, so that the logger hook of this
            # validation finds the teacher's scalars in the message hub.
            self.teacher_metrics = self._evaluate_teacher(algorithm)
            shown = ', '.join(f'{k}: {v:.4f}'
                              for k, v in self.teacher_metrics.items())
            self.runner.logger.info(f'Teacher (evaluated once): {shown}')
            for key, value in self.teacher_metrics.items():
                self.runner.message_hub.update_scalar(f'val/{key}', value)
        return super().run()
