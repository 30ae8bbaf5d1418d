# Quick start: the student distilled from the quick-start teacher with
# variational information distillation (arXiv 1904.05835): the output of
# each stage through a VIDRegressor (the Gaussian's mean and per-channel
# variance) against the teacher's, weight 1 per stage (the CRD benchmark's).
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

from mmcls_kd.models.distillers.wiring import (  # noqa: E402
    module_outputs, vid)

__stages = [module_outputs(f'backbone.layer{i}') for i in (1, 2, 3, 4)]
model = dict(
    distiller=vid(
        __stages,
        __stages,
        student_channels=[16, 32, 64, 128],
        teacher_channels=[32, 64, 128, 256],
        loss_weight=1.0))
