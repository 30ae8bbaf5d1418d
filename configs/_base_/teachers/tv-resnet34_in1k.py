# torchvision's ResNet-34 (IMAGENET1K_V1, 73.31 top-1): the teacher that
# mdistiller's and ReviewKD's ImageNet code loads (`pretrained=True`), which
# produced Table 1's DKD, KD and KR ImageNet numbers. The same network as
# MMPretrain's ResNet-34, with torchvision's weights converted to its keys:
# `python tools/model_converters/fetch_teachers.py --only tv-resnet34_in1k`
# downloads and converts them into teacher_ckpt.
teacher = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet', depth=34, num_stages=4, out_indices=(3, ),
        style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
teacher_ckpt = 'checkpoints/imagenet/tv-resnet34.pth'
