# Quick start: Tf-KD_self, the quick-start student distilled from a trained
# copy of itself. Tf-KD's CIFAR-100 ResNet-18 values: alpha 0.95 (CE weight
# 0.05), tau 6, multiplier 50. Its KD term uses nn.KLDivLoss(), the mean
# over N x K elements, times tau^2 and the multiplier: with KDLoss (the
# batch mean of tau^2 * KL) that is loss_weight = 0.95 * 50 / K, 0.475 at
# CIFAR-100's K = 100, kept here.
_base_ = ['../_base_/distill/student_resnet18-w16_digits.py']

model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=0.05))),
    # The student's own network, trained alone first:
    # `python tools/train.py configs/quickstart/resnet18-w16_1xb32_digits.py`
    teacher={{_base_.model.architecture}},
    teacher_ckpt='work_dirs/resnet18-w16_1xb32_digits/epoch_10.pth',
    distiller=dict(distill_losses=dict(loss_kd=dict(
        type='KDLoss', tau=6.0, loss_weight=0.475))))
