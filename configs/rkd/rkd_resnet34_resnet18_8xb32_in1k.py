# RKD (relational KD, arXiv 1904.05068), ResNet34 -> ResNet18 on ImageNet
# (Table 1).
# CE weight 1 plus the distance and angle losses, as CRD's benchmark.
# Recipe: the student's MMPretrain recipe (100 epochs, 8 x 32, SGD lr
# 0.1, steps 30/60/90), through its baseline config.
_base_ = ['../_base_/distill/resnet34_resnet18_in1k.py']

from mmcls_kd.models.distillers.wiring import rkd  # noqa: E402

# Weights 25 (distance) and 50 (angle) on the raw (not L2-normalised) pooled
# features: the RKD paper's values as the CRD and DKD benchmark code applies
# them.
model = dict(distiller=rkd(distance_weight=25.0, angle_weight=50.0))
