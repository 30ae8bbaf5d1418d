# ReviewKD ("Distilling Knowledge via Knowledge Review", arXiv 2104.09044),
# ResNet34 -> ResNet18 on ImageNet (Table 1 KR: 71.61). The teacher and recipe
# that produced the paper's number:
# Table 1's number is the one in ReviewKD's ImageNet/README.md, so this runs
# ReviewKD's own ImageNet code (ImageNet/imagenet_amp.py, fp32 by its default
# opt-level): torchvision's ResNet-34 teacher (73.31), 4 x 64 images, SGD lr
# 0.1, momentum 0.9, weight decay 1e-4, 100 epochs, lr x0.1 at 30/60/90, no
# warm-up of the lr or of the distillation weight, ReviewKD weight 1.0, fusion
# width 512. The student, loss and recorders are those of
# reviewkd_resnet34_resnet18_8xb32_in1k.py (MMPretrain's teacher and recipe,
# the paper's stated setup; no paper cell). Teacher: torchvision's weights
# converted to MMPretrain's ResNet-34 (the same network): `python
# tools/model_converters/fetch_teachers.py --only tv-resnet34_in1k` writes
# teacher_ckpt. Data: PIL decoding and resizing, as torchvision's transforms
# (see the pipelines' base for what still differs).
_base_ = [
    './reviewkd_resnet34_resnet18_8xb32_in1k.py',
    '../_base_/datasets/imagenet_torchvision_pipelines.py',
]

model = dict(
    teacher_ckpt='checkpoints/imagenet/tv-resnet34.pth',
    distiller=dict(
        distill_losses=dict(
            loss_hcl=dict(warmup_epochs=0, loss_weight=1.0))))

train_dataloader = dict(
    batch_size=64, dataset=dict(pipeline={{_base_.tv_train_pipeline}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.tv_test_pipeline}}))
test_dataloader = val_dataloader
# The pipelines' helper keys: the loaders above hold them.
tv_train_pipeline = tv_test_pipeline = None
