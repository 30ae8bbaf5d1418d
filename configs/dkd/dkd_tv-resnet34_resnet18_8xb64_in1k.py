# DKD (decoupled KD, arXiv 2203.08679), ResNet34 -> ResNet18 on ImageNet
# (Table 1: 71.70). The teacher and recipe that produced the paper's number:
# Table 1's number is the one in mdistiller's README (megvii-research/
# mdistiller), so this runs mdistiller's recipe (configs/imagenet/r34_r18/
# dkd.yaml): torchvision's ResNet-34 teacher (73.31), batch 512 (8 x 64), SGD
# lr 0.2, momentum 0.9, weight decay 1e-4, 100 epochs, lr x0.1 at 30/60/90, CE
# weight 1, DKD alpha 1, beta 0.5, tau 1, warm-up 1 epoch (counted from 1: the
# full weight from the first epoch). The student, loss and recorders are those
# of dkd_resnet34_resnet18_8xb32_in1k.py (MMPretrain's teacher and recipe, the
# paper's stated setup; no paper cell). Teacher: torchvision's weights
# converted to MMPretrain's ResNet-34 (the same network): `python
# tools/model_converters/fetch_teachers.py --only tv-resnet34_in1k` writes
# teacher_ckpt. Data: PIL decoding and resizing, as torchvision's transforms
# (see the pipelines' base for what still differs).
_base_ = [
    './dkd_resnet34_resnet18_8xb32_in1k.py',
    '../_base_/datasets/imagenet_torchvision_pipelines.py',
]

model = dict(teacher_ckpt='checkpoints/imagenet/tv-resnet34.pth')
optim_wrapper = dict(optimizer=dict(lr=0.2))
auto_scale_lr = dict(base_batch_size=512)

train_dataloader = dict(
    batch_size=64, dataset=dict(pipeline={{_base_.tv_train_pipeline}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.tv_test_pipeline}}))
test_dataloader = val_dataloader
# The pipelines' helper keys: the loaders above hold them.
tv_train_pipeline = tv_test_pipeline = None
