# Tf-KD_reg (Yuan et al., CVPR 2020, arXiv 1909.11723): a manually designed
# virtual teacher, no real teacher. MobileNet, ImageNet (Table 2 "Tf-KD",
# 69.20).
# GUESS: no source gives ImageNet MobileNet values. This follows the code
# of the ImageNet ResNet-50 cell (the Zipf's LS code's Tf-KD_reg: tau 20,
# alpha 0.1, multiplier 1, CE weight 1.0, the student not softened,
# nn.KLDivLoss()'s mean over all N x K elements, a = 0.99). The paper's
# equation stays available: student_temperature=True,
# reduction='batchmean'.
# Recipe: the baseline's.
_base_ = ['../_base_/self_distill/mobilenet-v1_in1k.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_tfkd=dict(
        type='TfKDRegLoss', tau=20.0, correct_prob=0.99, alpha=0.1,
        multiplier=1.0, student_temperature=False, reduction='mean'))))
