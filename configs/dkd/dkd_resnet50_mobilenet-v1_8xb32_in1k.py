# DKD (decoupled KD, arXiv 2203.08679), ResNet50 -> MobileNet on ImageNet
# (Table 1).
# tau 1, beta 2, warm-up 1 epoch: DKD's ImageNet config for this pair;
# alpha 1 is DKD's default (its ImageNet configs do not set it).
# Recipe: the student's MMPretrain recipe (100 epochs, 8 x 32, SGD lr
# 0.1, steps 30/60/90), through its baseline config.
_base_ = ['../_base_/distill/resnet50_mobilenet-v1_in1k.py']

model = dict(
    distiller=dict(distill_losses=dict(loss_dkd=dict(
        type='DKDLoss', alpha=1.0, beta=2.0, tau=1.0, warmup_epochs=1))))
