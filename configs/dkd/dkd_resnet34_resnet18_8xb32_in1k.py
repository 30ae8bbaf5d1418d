# DKD (decoupled KD, arXiv 2203.08679), ResNet34 -> ResNet18 on ImageNet (Table
# 1).
# tau 1, beta 0.5, warm-up 1 epoch: DKD's ImageNet config for this pair;
# alpha 1 is DKD's default (its ImageNet configs do not set it).
# Recipe: the student's MMPretrain recipe (100 epochs, 8 x 32, SGD lr
# 0.1, steps 30/60/90), through its baseline config.
_base_ = ['../_base_/distill/resnet34_resnet18_in1k.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_dkd=dict(
        type='DKDLoss', alpha=1.0, beta=0.5, tau=1.0, warmup_epochs=1))))
