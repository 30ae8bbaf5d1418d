# WTTM ("Knowledge Distillation Based on Transformed Teacher Matching", arXiv
# 2402.11148), VGG13 -> VGG8 on CIFAR-100. In no table of the NKD/USKD paper;
# its paper reports 74.44 for this pair (metafile.yml).
# CE weight 1: the official code (zkxufo/TTM) runs every loss with -r 1.
# tau 5 (gamma 0.2) and WTTM weight 4: GUESS. The paper lists its per-pair
# values in its appendix A.4, which was not available here; these are the
# official README's WTTM values for this very pair, but for WTTM added to
# CRD (--add wttm --ttm_l 0.2 -a 4), not for WTTM alone.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py, through the
# student's baseline config), which that code (RepDistiller's) runs too.
# Teacher: CRD's released VGG13 (the base's checkpoint).
_base_ = ['../_base_/distill/vgg13_vgg8_cifar100.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_wttm=dict(
        type='WTTMLoss', tau=5.0, loss_weight=4.0))))
