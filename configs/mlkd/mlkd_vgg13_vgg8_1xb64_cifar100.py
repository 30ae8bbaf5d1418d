# MLKD ("Multi-Level Logit Distillation", CVPR 2023), VGG13 -> VGG8
# on CIFAR-100. In no table of the NKD/USKD paper; MLKD's result for this
# pair is 75.18 (metafile.yml).
# The official code's recipe (Jin-Ying/Multi-Level-Logit-Distillation,
# configs/cifar100/ours/vgg13_vgg8.yaml with the defaults of
# mdistiller/engine/cfg.py, tools/train_ours.py): MLKD at temperatures 4, 3,
# 5, 2, 6 weighted 0.9 (KD.LOSS.KD_WEIGHT), cross-entropy 0.1 on each of
# the weak and strong view (CE_WEIGHT; 0.2 on the head's mean over both),
# batch 64, SGD lr 0.025, momentum 0.9, weight decay 5e-4, 240 epochs (480
# in the repository's first commit), lr x0.1 at 150/180/210. Views:
# ../_base_/datasets/mlkd_views.py.
_base_ = [
    '../_base_/distill/vgg13_vgg8_cifar100.py',
    '../_base_/datasets/mlkd_views.py',
]

from mmcls_kd.models.distillers.wiring import mlkd  # noqa: E402

data_preprocessor = dict(type='MultiViewDataPreprocessor', num_views=2)
train_dataloader = dict(
    dataset=dict(pipeline={{_base_.mlkd_cifar100_train_pipeline}}))
model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=0.2))),
    distiller=mlkd(tau=4.0, loss_weight=0.9))
optim_wrapper = dict(optimizer=dict(lr=0.025))
# The views base's helpers: the loader above holds its pipeline.
mlkd_randaugment = mlkd_cifar100_train_pipeline = None
mlkd_in1k_train_pipeline = None
