# Quick start: USKD self-distillation of the quick-start student, no teacher.
# alpha, beta, mu: the paper's CIFAR-100 values (0.1, 0.1, 0.1). The weak
# classifier reads layer3 (64 channels at this width).
_base_ = ['../_base_/self_distill/resnet18-w16_digits.py']

model = dict(distiller=dict(
    student_recorders=dict(middle=dict(source='backbone.layer3')),
    connectors=dict(weak=dict(
        type='WeakClassifier', in_channels=64, num_classes=10)),
    distill_losses=dict(loss_uskd=dict(type='USKDLoss', alpha=0.1, mu=0.1))))
