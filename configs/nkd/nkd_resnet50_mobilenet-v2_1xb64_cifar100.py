# NKD (Eq. 4), ResNet50 -> MobileNetV2 on CIFAR-100 (Table 1).
# The paper gives no per-pair CIFAR-100 values ("follow DKD's
# setting"; its supplement is not public here): tau 3, gamma 3.5 are
# the official code's only CIFAR-100 NKD values (ResNet-34 -> ResNet-18).
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/resnet50_mobilenet-v2_cifar100.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_nkd=dict(
        type='NKDLoss', gamma=3.5, non_target='normalized', tau=3.0))))
