"""Validation that also reports the teacher's accuracy, once."""
from typing import Dict

import torch
from mmengine.model import is_model_wrapper
from mmengine.runner import ValLoop

from mmcls_kd.registry import LOOPS


@LOOPS.register_module()
class TeacherOnceValLoop(ValLoop):
    """``ValLoop`` that evaluates the teacher on the first validation only.

    The teacher is frozen, so its accuracy cannot change during the run; one
    evaluation is enough to show at once a teacher that was converted or
    loaded badly, and costs one pass instead of one per epoch (MMRazor's
    ``SingleTeacherDistillValLoop`` evaluates it every time). Its
    metrics are logged with the prefix ``teacher/``. Models without a teacher
    (self-distillation) validate as a plain ``ValLoop``. The teacher is fed
    by the algorithm's preprocessor, as during training.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.teacher_metrics: Dict[str, float] = {}

    def _algorithm(self):
        model = self.runner.model
        return model.module if is_model_wrapper(model) else model

    @torch.no_grad()
    def _evaluate_teacher(self, algorithm) -> Dict[str, float]:
        teacher = algorithm.teacher
        teacher.eval()
        for data_batch in self.dataloader:
            # The algorithm's (student's) preprocessor: during training the
            # teacher sees exactly its output.
            data = algorithm.data_preprocessor(data_batch, False)
            outputs = teacher(**data, mode='predict')
            self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        return {f'teacher/{k}': v for k, v in metrics.items()}

    def run(self) -> dict:
        algorithm = self._algorithm()
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
