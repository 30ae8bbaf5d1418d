# Quick start: the student distilled from the quick-start teacher with FitNet
# ("FitNets: Hints for Thin Deep Nets", arXiv 1412.6550), in one stage as the
# CRD benchmark code trains it: the second stage's output (the benchmark's
# hint layer 2) through a 1x1 conv + BN + ReLU regressor, L2 hint loss
# weighing 100 beside the cross-entropy.
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

from mmcls_kd.models.distillers.wiring import (  # noqa: E402
    fitnet, module_outputs)

# ResNet_CIFAR-18 / -34 at width 16 / 32: layer2 has 32 / 64 channels, 4x4.
model = dict(
    distiller=fitnet(
        student=module_outputs('backbone.layer2'),
        teacher=module_outputs('backbone.layer2'),
        student_channels=32,
        teacher_channels=64,
        loss_weight=100.0))
