# timm's ResNet-50-D trained by timm's "ra4" recipe (3600 epochs, 224x224),
# with timm's own weights (pretrained=True downloads them from the Hugging
# Face hub, as timm does). Its pretrained_cfg is not MMPretrain's
# preprocessing: mean 0.5 and std 0.5 of 0-1 pixels (MMPretrain: ImageNet's
# mean and std), bicubic resizing; distillation converts the student's batch
# to it (mmcls_kd/models/algorithms/teacher_input.py).
teacher = dict(
    type='TimmClassifier',
    model_name='resnet50d.ra4_e3600_r224_in1k',
    pretrained=True,
    loss=dict(type='CrossEntropyLoss', loss_weight=1.0))
# timm loads the weights; a teacher cache (tools/cache_teacher.py) needs them
# in a file instead: see configs/timm/README.md.
teacher_ckpt = None
