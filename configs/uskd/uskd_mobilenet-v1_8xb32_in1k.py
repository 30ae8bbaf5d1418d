# USKD on MobileNet, ImageNet (Table 2: 70.38; Table 6 target + non-target).
# alpha 1, beta 0.1, mu 0.005 (section 4.1); the weak classifier reads the
# 512-channel stage (layer4, 14x14), as the official configs.
_base_ = ['./uskd_resnet18_8xb32_in1k.py']

model = dict(
    architecture=dict(
        backbone=dict(_delete_=True, type='MobileNetV1'),
        head=dict(in_channels=1024)),
    distiller=dict(
        student_recorders=dict(middle=dict(source='backbone.layer4')),
        connectors=dict(weak=dict(in_channels=512))))
