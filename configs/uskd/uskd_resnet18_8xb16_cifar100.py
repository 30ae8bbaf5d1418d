# USKD on ResNet_CIFAR-18, CIFAR-100 (Table 2: 79.90). Section 4.1: alpha 0.1,
# beta 0.1, mu 0.1. Recipe: the baseline's (the USKD paper's own log).
_base_ = ['../_base_/self_distill/resnet18_cifar100.py']

model = dict(distiller=dict(
    student_recorders=dict(middle=dict(source='backbone.layer3')),
    connectors=dict(weak=dict(
        type='WeakClassifier', in_channels=256, num_classes=100)),
    distill_losses=dict(loss_uskd=dict(type='USKDLoss', alpha=0.1, mu=0.1))))
