# ReviewKD ("Distilling Knowledge via Knowledge Review",
# arXiv 2104.09044), VGGNet13 -> MobileNetV2 on CIFAR-100 (Table 1).
# CE weight 1 plus ReviewKD: the student's stages and pooled feature, fused
# deepest first by ABF units, against the teacher's pre-ReLU stages and pooled
# feature with the hierarchical context loss.
# GUESS: weight 5.0, the official code's value for its CIFAR pairs; its
# scripts have no VGG13 -> MobileNetV2 command.
# The KR numbers of Table 1 are the ReviewKD paper's, so this follows
# ReviewKD's own CIFAR-100 code (dvlab-research/ReviewKD, CIFAR-100/train.py),
# not mdistiller's re-implementation: batch 128, SGD lr 0.02 (its value for
# MobileNet/ShuffleNet students), momentum 0.9 with Nesterov, weight decay
# 5e-4, 240 epochs, lr x0.1 after epochs 150, 180 and 210 (applied after the
# epoch ends: 151 epochs at the base lr), and the distillation weight warmed
# up as min(epoch / 20, 1) with epochs counted from 0 (none in the first
# epoch). The official script reports the best epoch.
_base_ = ['../_base_/distill/vgg13_mobilenet-v2_cifar100.py']

from mmcls_kd.models.distillers.wiring import (  # noqa: E402
    module_inputs, module_outputs, reviewkd)

# The student's stage outputs (linear, no ReLU at the end of these stages, as
# the official code takes them; MobileNetV2 (x0.5): layer2, layer3, layer5,
# layer7), then the pooled feature. The teacher's pre-ReLU stage outputs
# (ReLUs run out of place under the algorithms; VGG13: the input of the last
# ConvModule's ReLU in each of layer2-5 (its second conv, index 1)), then the
# pooled feature. The student's stages are smaller than the teacher's: each
# fused map is resized to the teacher feature's size before its output conv
# (out_sizes), as the official code does for these students.
model = dict(
    distiller=reviewkd(
        student=[module_outputs(f'backbone.layer{i}') for i in (2, 3, 5, 7)] +
        [module_outputs('neck', index=0)],
        teacher=[
            module_inputs(f'backbone.layer{i}.1.activate') for i in range(2, 6)
        ] + [module_outputs('neck', index=0)],
        abf=dict(
            in_channels=[12, 16, 48, 160, 1280],
            out_channels=[128, 256, 512, 512, 512],
            out_sizes=[16, 8, 4, 4, 1]),
        hcl=dict(warmup_epochs=20, warmup_first_epoch=0, loss_weight=5.0)))

train_dataloader = dict(batch_size=128)
optim_wrapper = dict(optimizer=dict(lr=0.02, nesterov=True))
param_scheduler = dict(milestones=[151, 181, 211])
auto_scale_lr = dict(base_batch_size=128)
