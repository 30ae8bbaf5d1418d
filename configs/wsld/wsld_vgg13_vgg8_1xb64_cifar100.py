# WSLD (weighted soft labels, arXiv 2102.00650), VGGNet13 -> VGGNet8 on
# CIFAR-100 (Table 1).
# tau 4, alpha 2.25: the official NKD repository's CIFAR-100 values.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/vgg13_vgg8_cifar100.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_wsld=dict(
        type='WSLDLoss', alpha=2.25, tau=4.0))))
