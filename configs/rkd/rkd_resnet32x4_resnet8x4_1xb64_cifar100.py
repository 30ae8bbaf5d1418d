# RKD (relational KD, arXiv 1904.05068), ResNet32x4 -> ResNet8x4 on CIFAR-100
# (Table 1).
# CE weight 1 plus the distance and angle losses, as CRD's benchmark.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/resnet32x4_resnet8x4_cifar100.py']

from mmcls_kd.models.distillers.wiring import rkd  # noqa: E402

# Weights 25 (distance) and 50 (angle) on the raw (not L2-normalised) pooled
# features: the RKD paper's values as the CRD and DKD benchmark code applies
# them.
model = dict(distiller=rkd(distance_weight=25.0, angle_weight=50.0))
