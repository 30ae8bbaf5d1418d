# KD with logit standardisation ("Logit Standardization in Knowledge
# Distillation", arXiv 2403.01427), ResNet32x4 -> ResNet8x4 on CIFAR-100. In
# no table of the NKD/USKD paper; its paper reports 76.62 for this pair
# (metafile.yml).
# Both models' logits z-scored per sample (tau='zscore'), base temperature
# 2, KD weight 9, CE weight 0.1: the official code
# (sunshangquan/logit-standardization-KD) as its README runs it
# (--logit-stand --base-temp 2 --kd-weight 9; the log of this pair is
# "kd,resnet32x4,resnet8x4,2,9"), with its config defaults for KD since
# 2024-05-18 (CE 0.1; before, its default CE weight was 1).
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py, through the
# student's baseline config), which that code (mdistiller's) runs too.
_base_ = ['../_base_/distill/resnet32x4_resnet8x4_cifar100.py']

model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=0.1))),
    distiller=dict(distill_losses=dict(loss_kd=dict(
        type='KDLoss', tau='zscore', t_norm=2.0, loss_weight=9.0))))
