# MMPretrain's released ResNet-50 (76.55 top-1), the ImageNet teacher of
# Table 1 in the paper's setup: the ResNet-34 teacher base at depth 50.
_base_ = ['./resnet34_in1k.py']

teacher = dict(backbone=dict(depth=50), head=dict(in_channels=2048))
teacher_ckpt = 'https://download.openmmlab.com/mmclassification/v0/resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth'  # noqa: E501
