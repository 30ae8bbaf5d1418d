# KD (Hinton et al., arXiv 1503.02531), ResNet50 -> MobileNetV2 on CIFAR-100
# (Table 1).
# tau 4, CE weight 0.1 and KD weight 0.9: DKD's CIFAR-100 KD config.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/resnet50_mobilenet-v2_cifar100.py']

model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=0.1))),
    distiller=dict(distill_losses=dict(loss_kd=dict(
        type='KDLoss', loss_weight=0.9, tau=4.0))))
