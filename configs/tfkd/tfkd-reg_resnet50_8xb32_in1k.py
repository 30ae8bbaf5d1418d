# Tf-KD_reg (Yuan et al., CVPR 2020, arXiv 1909.11723): a manually designed
# virtual teacher, no real teacher. ResNet-50, ImageNet (Table 2 "Tf-KD",
# 76.59).
# What ran for this cell: Tf-KD's ImageNet loss file is missing from its
# repository, so the values come from the Zipf's LS code, which compares
# with Tf-KD_reg (pytorch_zipfls/method_configs.py, 'tf-kd' / 'resnet50':
# tau 20, alpha 0.1, multiplier 1; train_methods.py: CE weight 1.0 plus
# alpha * KL, the student not softened, nn.KLDivLoss()'s mean over all
# N x K elements, a = 0.99). The paper's equation (student softened by tau,
# KL per sample) stays available: student_temperature=True,
# reduction='batchmean'.
# Recipe: the baseline's.
_base_ = ['../_base_/self_distill/resnet50_in1k.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_tfkd=dict(
        type='TfKDRegLoss', tau=20.0, correct_prob=0.99, alpha=0.1,
        multiplier=1.0, student_temperature=False, reduction='mean'))))
