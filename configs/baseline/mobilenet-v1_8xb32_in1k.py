# MobileNet (V1) on ImageNet trained alone (Table 1 student and Tables 2/6
# baseline 69.21). Recipe: the paper trains ResNet and MobileNet students alike
# (100 epochs, 8 x 32 images, SGD lr 0.1, weight decay 1e-4, lr x0.1 at
# 30/60/90): MMPretrain's ResNet-18 recipe with the MobileNet backbone.
_base_ = ['./resnet18_8xb32_in1k.py']

model = dict(
    backbone=dict(_delete_=True, type='MobileNetV1'),
    head=dict(in_channels=1024))
