# KD with logit standardisation ("Logit Standardization in Knowledge
# Distillation", arXiv 2403.01427), VGG13 -> VGG8 on CIFAR-100. In no table
# of the NKD/USKD paper; its paper reports 74.36 for this pair
# (metafile.yml).
# Both models' logits z-scored per sample (tau='zscore'), base temperature
# 3, KD weight 9: the official code (sunshangquan/logit-standardization-KD),
# whose log of this pair is "kd,vgg13,vgg8,3,9" (--base-temp 3
# --kd-weight 9). CE weight 0.1: its config default for KD (cfg.py since
# 2024-03-10); the log was committed on 2024-03-01, when that default was 1.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py, through the
# student's baseline config), which that code (mdistiller's) runs too.
# Teacher: CRD's released VGG13 (the base's checkpoint).
_base_ = ['../_base_/distill/vgg13_vgg8_cifar100.py']

model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=0.1))),
    distiller=dict(distill_losses=dict(loss_kd=dict(
        type='KDLoss', tau='zscore', t_norm=3.0, loss_weight=9.0))))
