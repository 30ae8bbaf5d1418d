# DOT ("DOT: A Distillation-Oriented Trainer", arXiv 2307.08436) on Hinton's
# KD, VGG13 -> VGG8 on CIFAR-100. In no table of the NKD/USKD paper; the
# official README reports 73.77 for this pair (metafile.yml).
# The official config (megvii-research/mdistiller,
# configs/cifar100/dot/vgg13_vgg8.yaml) runs mdistiller's KD distiller with
# its CIFAR-100 defaults, tau 4, CE weight 0.1, KD weight 0.9 (those of
# ../kd/kd_vgg13_vgg8_1xb64_cifar100.py), and DOT's trainer with delta
# 0.075: the CE gradient's momentum 0.9 - 0.075, the KD gradient's
# 0.9 + 0.075.
# Recipe: that config's, which is CRD/DKD's CIFAR-100 one
# (../_base_/cifar100_runtime.py, through the KD config): batch 64, SGD lr
# 0.05, momentum 0.9, weight decay 5e-4, 240 epochs, x0.1 at 150/180/210.
# Teacher: CRD's released VGG13 (the base's checkpoint).
_base_ = ['../kd/kd_vgg13_vgg8_1xb64_cifar100.py']

optim_wrapper = dict(type='DOTOptimWrapper', delta=0.075)
