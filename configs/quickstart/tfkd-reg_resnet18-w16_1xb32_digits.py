# Quick start: Tf-KD_reg (a manually designed virtual teacher) on the
# quick-start student, no teacher. tau 20, a 0.99, alpha 0.1: Tf-KD's
# CIFAR-100 ResNet-18 values; the paper's (1 - alpha) * CE is the head's
# loss with weight 0.9. The loss is the paper's equation (student softened
# with tau, no multiplier).
_base_ = ['../_base_/self_distill/resnet18-w16_digits.py']

model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=0.9))),
    distiller=dict(distill_losses=dict(loss_tfkd=dict(
        type='TfKDRegLoss', tau=20.0, correct_prob=0.99, alpha=0.1))))
