# Zipf's label smoothing (Liang et al., ECCV 2022, arXiv 2207.12980) on
# MobileNet, ImageNet (Table 2 "Zipf's LS", 69.59), no teacher. The student's
# own classifier (head.fc, recorded as parameters) votes at every position of
# its last feature map (layer5); loss weight 0.1, no upsampling: the official
# code's ImageNet values.
# As the official training commands ran (megvii-research/zipfls,
# pytorch_zipfls/README.md): classes tied in votes share the best of their
# ranks (scipy rankdata method='min'; tie_break='min'), and every sample of
# the batch takes the loss (--mask is off by default and not passed;
# correct_only=False). The paper's forms (ties broken by the final logit,
# correctly classified samples only) stay options: tie_break='logit',
# correct_only=True.
# Recipe: the baseline's.
_base_ = ['../_base_/self_distill/mobilenet-v1_in1k.py']

from mmcls_kd.models.distillers.wiring import zipf_ls  # noqa: E402

model = dict(
    distiller=zipf_ls(
        'backbone.layer5', tie_break='min', correct_only=False,
        loss_weight=0.1))
