# Tf-KD_reg (Yuan et al., CVPR 2020, arXiv 1909.11723): a manually designed
# virtual teacher, no real teacher. ResNet_CIFAR-18, CIFAR-100 (Table 2
# "Tf-KD", 79.53).
# What ran for this cell: Tf-KD's own loss_kd_regularization with its
# CIFAR-100 ResNet-18 settings (experiments/base_experiments/base_resnet18/
# params.json: tau 20, alpha 0.1, multiplier 100; the virtual teacher's
# a = 0.99), reused unchanged by the Zipf's LS code: the student is not
# softened, nn.KLDivLoss() averages over all N x K elements
# (reduction='mean'), and the loss is (1 - alpha) CE + alpha * 100 * KL, so
# the head's CE weighs 0.9. The paper's equation (student softened by tau,
# KL per sample) stays available: student_temperature=True,
# reduction='batchmean', multiplier=1.
# Recipe: the baseline's.
_base_ = ['../_base_/self_distill/resnet18_cifar100.py']

model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=0.9))),
    distiller=dict(distill_losses=dict(loss_tfkd=dict(
        type='TfKDRegLoss', tau=20.0, correct_prob=0.99, alpha=0.1,
        multiplier=100.0, student_temperature=False, reduction='mean'))))
