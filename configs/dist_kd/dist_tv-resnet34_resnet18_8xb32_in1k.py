# DIST ("Knowledge Distillation from A Stronger Teacher", arXiv 2205.10536),
# ResNet-34 -> ResNet-18 on ImageNet. In no table of the NKD/USKD paper; the
# DIST paper reports 72.07 for this pair (metafile.yml).
# The official code's ImageNet baseline setting (hunto/DIST_KD README,
# hunto/image_classification_sota configs/strategies/distill/
# resnet_dist.yaml): torchvision's ResNet-34 teacher (tv_resnet34, 73.31),
# DIST at tau 1 with beta = gamma = 1 (kd 'dist') weighted 2, CE 1, batch 256
# (8 x 32), SGD lr 0.1 with Nesterov momentum 0.9, weight decay 1e-4 except
# on biases and BatchNorm parameters (filter_bias_and_bn), 100 epochs, lr
# x0.1 every 30 epochs, no warm-up: MMPretrain's ResNet-18 recipe (through
# the student's baseline config) plus Nesterov and that weight-decay filter.
# Teacher: torchvision's weights converted to MMPretrain's ResNet-34 (the
# same network): `python tools/model_converters/fetch_teachers.py --only
# tv-resnet34_in1k` writes teacher_ckpt. Data: PIL decoding and resizing, as
# torchvision's transforms (see the pipelines' base for what still differs).
_base_ = [
    '../_base_/distill/resnet34_resnet18_in1k.py',
    '../_base_/datasets/imagenet_torchvision_pipelines.py',
]

model = dict(
    teacher_ckpt='checkpoints/imagenet/tv-resnet34.pth',
    distiller=dict(distill_losses=dict(loss_dist=dict(
        type='DISTLoss', tau=1.0, beta=1.0, gamma=1.0, loss_weight=2.0))))
optim_wrapper = dict(
    optimizer=dict(nesterov=True),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))

train_dataloader = dict(dataset=dict(pipeline={{_base_.tv_train_pipeline}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.tv_test_pipeline}}))
test_dataloader = val_dataloader
# The pipelines' helper keys: the loaders above hold them.
tv_train_pipeline = tv_test_pipeline = None
