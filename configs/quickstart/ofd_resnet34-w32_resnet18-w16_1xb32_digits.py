# Quick start: the student distilled from the quick-start teacher with OFD
# ("A Comprehensive Overhaul of Feature Distillation", arXiv 1904.01866):
# the pre-ReLU output of each of the four stages. In a basic block the
# pre-ReLU feature (residual added) is the input of the block's ReLU at its
# second call (call 1; the algorithms run every ReLU out of place, so it is
# not overwritten); the margins come from the BatchNorm before it (bn2), whose
# parameters the Parameter recorders hand to the loss.
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

from mmcls_kd.models.distillers.wiring import module_inputs, ofd  # noqa: E402

# ResNet_CIFAR-18: two blocks per stage, 16/32/64/128 channels;
# ResNet_CIFAR-34: 3/4/6/3 blocks, 32/64/128/256 channels. The last stage
# weighs 1e-3 (the paper's CIFAR code: sum / batch / 1000), each earlier stage
# half the next.
__teacher = ['backbone.layer1.2', 'backbone.layer2.3', 'backbone.layer3.5',
             'backbone.layer4.2']
model = dict(
    distiller=ofd(
        student=[
            module_inputs(f'backbone.layer{i}.1.relu', call=1)
            for i in (1, 2, 3, 4)
        ],
        teacher=[module_inputs(f'{b}.relu', call=1) for b in __teacher],
        teacher_bns=[f'{b}.bn2' for b in __teacher],
        student_channels=[16, 32, 64, 128],
        teacher_channels=[32, 64, 128, 256],
        loss_weight=1e-3))
