# DKD (decoupled KD, arXiv 2203.08679), VGGNet13 -> MobileNetV2 on CIFAR-100
# (Table 1).
# tau 4, alpha 1, beta 6 (VGG13 teacher), loss weight warmed up over 20
# epochs: DKD's CIFAR-100 config for this teacher.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/vgg13_mobilenet-v2_cifar100.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_dkd=dict(
        type='DKDLoss', alpha=1.0, beta=6.0, tau=4.0, warmup_epochs=20))))
