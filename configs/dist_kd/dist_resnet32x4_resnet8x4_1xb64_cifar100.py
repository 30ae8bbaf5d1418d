# DIST ("Knowledge Distillation from A Stronger Teacher", arXiv 2205.10536),
# ResNet32x4 -> ResNet8x4 on CIFAR-100. In no table of the NKD/USKD paper;
# the DIST paper reports 76.31 for this pair (metafile.yml).
# tau 4, beta = gamma = 1, DIST weighted 2 and the cross-entropy 1: the
# official code's CIFAR-100 config (hunto/image_classification_sota,
# configs/strategies/distill/dist_cifar.yaml: kd dist_t4, kd_loss_weight 2,
# ori_loss_weight 1).
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py, through the
# student's baseline config), which that config runs too: batch 64, SGD lr
# 0.05 without Nesterov, weight decay 5e-4, 240 epochs, x0.1 at 150/180/210.
_base_ = ['../_base_/distill/resnet32x4_resnet8x4_cifar100.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_dist=dict(
        type='DISTLoss', tau=4.0, beta=1.0, gamma=1.0, loss_weight=2.0))))
