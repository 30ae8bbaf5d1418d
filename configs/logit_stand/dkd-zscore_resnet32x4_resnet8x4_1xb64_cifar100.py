# DKD with logit standardisation ("Logit Standardization in Knowledge
# Distillation", arXiv 2403.01427), ResNet32x4 -> ResNet8x4 on CIFAR-100. In
# no table of the NKD/USKD paper; its paper reports 77.01 for this pair
# (metafile.yml).
# Both models' logits z-scored per sample (tau='zscore'), base temperature
# 2, alpha 1 x 9, beta 8 x 9, warm-up 20 epochs, CE weight 1: the official
# code's tools/train.py since 2024-05-18 run as its README does
# (--logit-stand --base-temp 2 --kd-weight 9 on DKD's CIFAR-100 values).
# Until then that script set beta to alpha x 9 x 9 = 81 and the base
# temperature on KD's config, leaving DKD's tau at 4; the log of this pair
# ("dkd,resnet32x4,resnet8x4,2,9") was committed on 2024-03-01, before the
# change. Which of the two produced the paper's number no source settles.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py, through the
# student's baseline config), which that code (mdistiller's) runs too.
_base_ = ['../_base_/distill/resnet32x4_resnet8x4_cifar100.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_dkd=dict(
        type='DKDLoss',
        tau='zscore',
        t_norm=2.0,
        alpha=9.0,
        beta=72.0,
        warmup_epochs=20))))
