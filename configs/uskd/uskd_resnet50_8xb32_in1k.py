# USKD on ResNet-50, ImageNet (Table 2: 77.07; the backbone of Table 7).
# Same loss and recipe as ResNet-18 (MMPretrain trains both with the same
# schedule); the weak classifier reads layer3, 1024 channels here, as the
# official configs.
_base_ = ['./uskd_resnet18_8xb32_in1k.py']

model = dict(
    architecture=dict(
        backbone=dict(depth=50), head=dict(in_channels=2048)),
    distiller=dict(connectors=dict(weak=dict(in_channels=1024))))
