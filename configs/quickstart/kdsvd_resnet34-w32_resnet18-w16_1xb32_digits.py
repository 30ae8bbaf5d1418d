# Quick start: the student distilled from the quick-start teacher with KD-SVD
# ("Self-supervised Knowledge Distillation Using Singular Value
# Decomposition", arXiv 1807.06819): CE + the KD-SVD loss (k = 1, weight 1,
# mdistiller's) between consecutive recorded stages.
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

from mmcls_kd.models.distillers.wiring import kdsvd, module_outputs  # noqa

# The relations compare singular vectors channel by channel, and the teacher
# (w32) has twice the student's (w16) channels at every stage: student stages
# 2-4 (32/64/128 channels) are paired with teacher stages 1-3.
model = dict(
    distiller=kdsvd(
        student=[module_outputs(f'backbone.layer{i}') for i in (2, 3, 4)],
        teacher=[module_outputs(f'backbone.layer{i}') for i in (1, 2, 3)]))
