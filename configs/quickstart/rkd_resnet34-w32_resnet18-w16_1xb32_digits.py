# Quick start: the student distilled from the quick-start teacher with RKD
# ("Relational Knowledge Distillation", arXiv 1904.05068): distance- and
# angle-wise relations of the pooled features. The angle loss is this
# package's RKDAngleLoss: MMRazor's AngleWiseRKD has the same value but a
# gradient of 1e12 where two samples share an embedding, and on the digits
# many pooled features of the fresh student are equal (all zero).
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

from mmcls_kd.models.distillers.wiring import rkd  # noqa: E402

# Weights 25 (distance) and 50 (angle) on the raw (not L2-normalised) pooled
# features: the RKD paper's values as the CRD and DKD benchmark code applies
# them.
model = dict(distiller=rkd(distance_weight=25.0, angle_weight=50.0))
