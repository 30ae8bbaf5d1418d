# DOT ("DOT: A Distillation-Oriented Trainer", arXiv 2307.08436) on Hinton's
# KD, ResNet32x4 -> ResNet8x4 on CIFAR-100. In no table of the NKD/USKD
# paper; the official README reports 75.12 for this pair (metafile.yml).
# The official config (megvii-research/mdistiller,
# configs/cifar100/dot/res32x4_res8x4.yaml) runs mdistiller's KD distiller
# with its CIFAR-100 defaults, tau 4, CE weight 0.1, KD weight 0.9 (those of
# ../kd/kd_resnet32x4_resnet8x4_1xb64_cifar100.py), and DOT's trainer with
# delta 0.075: the CE gradient's momentum 0.9 - 0.075, the KD gradient's
# 0.9 + 0.075.
# Recipe: that config's, which is CRD/DKD's CIFAR-100 one
# (../_base_/cifar100_runtime.py, through the KD config): batch 64, SGD lr
# 0.05, momentum 0.9, weight decay 5e-4, 240 epochs, x0.1 at 150/180/210.
# Teacher: CRD's released ResNet32x4 (the base's checkpoint), which
# mdistiller's cifar_teachers.tar holds too.
_base_ = ['../kd/kd_resnet32x4_resnet8x4_1xb64_cifar100.py']

optim_wrapper = dict(type='DOTOptimWrapper', delta=0.075)
