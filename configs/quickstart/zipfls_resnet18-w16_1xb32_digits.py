# Quick start: Zipf's label smoothing on the quick-start student, no
# teacher. The student's own classifier (head.fc, recorded as parameters)
# votes at every position of its last feature map (layer4); loss weight
# 0.1 and the x2 bilinear upsampling: the official code's CIFAR-100 values.
# Correctly classified samples only, as in the paper (the official commands
# use every sample: correct_only=False).
# On 8x8 digits layer4 is 1x1, so all positions cast the same vote and the
# other classes are ranked by the final logit.
_base_ = ['../_base_/self_distill/resnet18-w16_digits.py']

from mmcls_kd.models.distillers.wiring import zipf_ls  # noqa: E402

model = dict(
    distiller=zipf_ls('backbone.layer4', upsample_factor=2.0, loss_weight=0.1))
