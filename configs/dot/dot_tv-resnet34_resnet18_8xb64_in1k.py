# DOT ("DOT: A Distillation-Oriented Trainer", arXiv 2307.08436) on Hinton's
# KD, ResNet-34 -> ResNet-18 on ImageNet. In no table of the NKD/USKD paper;
# the official README reports 71.72 for this pair (metafile.yml).
# The official config (megvii-research/mdistiller,
# configs/imagenet/r34_r18/dot.yaml) is mdistiller's KD recipe
# (../kd/kd_tv-resnet34_resnet18_8xb64_in1k.py: torchvision's ResNet-34
# teacher, batch 512, SGD lr 0.2, momentum 0.9, weight decay 1e-4, 100
# epochs, x0.1 at 30/60/90, tau 1, CE weight 0.5, KD weight 0.5) with DOT's
# trainer at delta 0.09: the CE gradient's momentum 0.9 - 0.09, the KD
# gradient's 0.9 + 0.09.
_base_ = ['../kd/kd_tv-resnet34_resnet18_8xb64_in1k.py']

optim_wrapper = dict(type='DOTOptimWrapper', delta=0.09)
