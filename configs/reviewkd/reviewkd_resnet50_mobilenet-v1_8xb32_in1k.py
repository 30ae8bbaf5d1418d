# ReviewKD ("Distilling Knowledge via Knowledge Review",
# arXiv 2104.09044), ResNet50 -> MobileNet on ImageNet (Table 1).
# CE weight 1 plus ReviewKD: the student's stages and pooled feature, fused
# deepest first by ABF units, against the teacher's pre-ReLU stages and pooled
# feature with the hierarchical context loss. Weight 8.0, a one-epoch warm-up
# and fusion width 256: the official ImageNet code for ResNet50 -> MobileNet.
# Recipe: the student's MMPretrain recipe (100 epochs, 8 x 32, SGD lr
# 0.1, steps 30/60/90), through its baseline config.
_base_ = ['../_base_/distill/resnet50_mobilenet-v1_in1k.py']

from mmcls_kd.models.distillers.wiring import (  # noqa: E402
    module_inputs, module_outputs, reviewkd)

# The student's stage outputs (after their ReLU, as the official code takes
# them; MobileNetV1: layer2, layer3, layer4, layer5), then the pooled feature.
# The teacher's pre-ReLU stage outputs (ReLUs run out of place under the
# algorithms; ResNet50: the input of each stage's last bottleneck ReLU at its
# third call (call 2, residual added)), then the pooled feature.
__teacher = ['backbone.layer1.2', 'backbone.layer2.3', 'backbone.layer3.5',
             'backbone.layer4.2']
model = dict(
    distiller=reviewkd(
        student=[module_outputs(f'backbone.layer{i}') for i in (2, 3, 4, 5)] +
        [module_outputs('neck', index=0)],
        teacher=[module_inputs(f'{b}.relu', call=2) for b in __teacher] +
        [module_outputs('neck', index=0)],
        abf=dict(
            in_channels=[128, 256, 512, 1024, 1024],
            out_channels=[256, 512, 1024, 2048, 2048],
            mid_channels=256),
        hcl=dict(warmup_epochs=1, loss_weight=8.0)))
