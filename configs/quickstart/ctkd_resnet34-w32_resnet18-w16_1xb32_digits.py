# Quick start: the student distilled from the quick-start teacher with CTKD
# (arXiv 2211.16231): the KD quick start at a learnt global temperature in
# (1, 21), trained through a gradient reversal layer whose weight follows
# the official code's curriculum (0 -> 1). Curriculum: the official 10 of
# 240 CIFAR-100 epochs is less than one of the 10 epochs here; 2 keep the
# ramp visible (lambda 1/2, then 1). KDRunner's CTKDCurriculumHook sets
# lambda from the runner's epoch.
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

from mmcls_kd.models.distillers.wiring import ctkd  # noqa: E402

model = dict(distiller=ctkd(1.0, curriculum_epochs=2, official=False))
