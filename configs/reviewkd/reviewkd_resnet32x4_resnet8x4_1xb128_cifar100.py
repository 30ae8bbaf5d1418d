# ReviewKD ("Distilling Knowledge via Knowledge Review",
# arXiv 2104.09044), ResNet32x4 -> ResNet8x4 on CIFAR-100 (Table 1).
# CE weight 1 plus ReviewKD: the student's stages and pooled feature, fused
# deepest first by ABF units, against the teacher's pre-ReLU stages and pooled
# feature with the hierarchical context loss.
# Weight 5.0: the official script/reviewKD.sh for this pair (mdistiller's
# configs/cifar100/reviewkd.yaml too).
# The KR numbers of Table 1 are the ReviewKD paper's, so this follows
# ReviewKD's own CIFAR-100 code (dvlab-research/ReviewKD, CIFAR-100/train.py),
# not mdistiller's re-implementation: batch 128, SGD lr 0.1 (0.02 for
# MobileNet/ShuffleNet students), momentum 0.9 with Nesterov, weight decay
# 5e-4, 240 epochs, lr x0.1 after epochs 150, 180 and 210 (applied after the
# epoch ends: 151 epochs at the base lr), and the distillation weight warmed
# up as min(epoch / 20, 1) with epochs counted from 0 (none in the first
# epoch). The official script reports the best epoch.
_base_ = ['../_base_/distill/resnet32x4_resnet8x4_cifar100.py']

from mmcls_kd.models.distillers.wiring import (  # noqa: E402
    module_inputs, module_outputs, reviewkd)

# The student's stage outputs (after their ReLU, as the official code takes
# them; ResNet8x4: layer1, layer2, layer3), then the pooled feature. The
# teacher's pre-ReLU stage outputs (ReLUs run out of place under the
# algorithms; ResNet32x4: five basic blocks per stage; the input of the last
# block's ReLU at its second call (call 1, residual added)), then the pooled
# feature.
model = dict(
    distiller=reviewkd(
        student=[module_outputs(f'backbone.layer{i}') for i in (1, 2, 3)] +
        [module_outputs('neck', index=0)],
        teacher=[
            module_inputs(f'backbone.layer{i}.4.relu', call=1)
            for i in (1, 2, 3)
        ] + [module_outputs('neck', index=0)],
        abf=dict(
            in_channels=[64, 128, 256, 256],
            out_channels=[64, 128, 256, 256]),
        hcl=dict(warmup_epochs=20, warmup_first_epoch=0, loss_weight=5.0)))

train_dataloader = dict(batch_size=128)
optim_wrapper = dict(optimizer=dict(lr=0.1, nesterov=True))
param_scheduler = dict(milestones=[151, 181, 211])
auto_scale_lr = dict(base_batch_size=128)
