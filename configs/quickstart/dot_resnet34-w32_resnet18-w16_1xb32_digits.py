# Quick start: the KD quick start trained with DOT ("DOT: A
# Distillation-Oriented Trainer", arXiv 2307.08436), as the official code
# runs DOT, on top of KD: the same losses and SGD (lr 0.05, momentum 0.9,
# weight decay 5e-4), with the task (cross-entropy) gradient's momentum at
# 0.9 - delta and the distillation (KD) gradient's at 0.9 + delta. delta
# 0.075: the official CIFAR-100 value (mdistiller,
# configs/cifar100/dot/res32x4_res8x4.yaml).
_base_ = ['./kd_resnet34-w32_resnet18-w16_1xb32_digits.py']

optim_wrapper = dict(type='DOTOptimWrapper', delta=0.075)
