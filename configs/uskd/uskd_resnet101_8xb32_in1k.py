# USKD on ResNet-101, ImageNet (Table 3: 78.54, 13.95 min per epoch).
# alpha 1, beta 0.1, mu 0.005 (section 4.1); the weak classifier reads
# layer3 (1024 channels), as the official configs. Recipe: MMPretrain's
# ResNet-101 (the baseline's).
_base_ = ['./uskd_resnet50_8xb32_in1k.py']

model = dict(architecture=dict(backbone=dict(depth=101)))
