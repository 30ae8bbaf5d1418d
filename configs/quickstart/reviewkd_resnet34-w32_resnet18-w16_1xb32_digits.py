# Quick start: the student distilled from the quick-start teacher with
# ReviewKD ("Distilling Knowledge via Knowledge Review", arXiv 2104.09044):
# the four stages and the pooled feature of the student, fused deepest first
# by ABF units, against the teacher's pre-ReLU stages and pooled feature
# with the hierarchical context loss.
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

from mmcls_kd.models.distillers.wiring import (  # noqa: E402
    module_inputs, module_outputs, reviewkd)

# The official code: the student's post-ReLU stage outputs, and the teacher's
# pre-ReLU stage outputs: the input of each stage's last ReLU call (second
# call in a basic block; the algorithms run every ReLU out of place, so it is
# not overwritten); then the pooled features. Stage widths of ResNet_CIFAR-18
# w16 and -34 w32, shallow to deep, then the pooled feature; mid width
# min(512, 128) by default. Weight 1 and no warm-up: a ten-epoch quick start
# (the paper's CIFAR runs use weights 0.6-8 by pair and 20 warm-up epochs).
__teacher = ['backbone.layer1.2', 'backbone.layer2.3', 'backbone.layer3.5',
             'backbone.layer4.2']
model = dict(
    distiller=reviewkd(
        student=[module_outputs(f'backbone.layer{i}') for i in (1, 2, 3, 4)] +
        [module_outputs('neck', index=0)],
        teacher=[module_inputs(f'{b}.relu', call=1) for b in __teacher] +
        [module_outputs('neck', index=0)],
        abf=dict(
            in_channels=[16, 32, 64, 128, 128],
            out_channels=[32, 64, 128, 256, 256]),
        hcl=dict(loss_weight=1.0)))
