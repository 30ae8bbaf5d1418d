# Quick start: USKD self-distillation of the quick-start student, no teacher.
# alpha, beta, mu: the paper's CIFAR-100 values (0.1, 0.1, 0.1). The weak
# classifier reads layer3 (64 channels at this width).
_base_ = ['./resnet18-w16_1xb32_digits.py']

model = dict(
    _delete_=True,
    type='SelfDistillation',
    architecture={{_base_.model}},
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        student_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc'),
            middle=dict(type='ModuleOutputs', source='backbone.layer3'),
            labels=dict(type='ModuleInputs', source='head.loss_module')),
        connectors=dict(
            weak=dict(type='WeakClassifier', in_channels=64, num_classes=10,
                      pool='gap')),
        distill_losses=dict(
            loss_uskd=dict(type='USKDLoss', alpha=0.1, beta=0.1, mu=0.1)),
        loss_forward_mappings=dict(
            loss_uskd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_W=dict(
                    from_student=True, recorder='middle', connector='weak'),
                gt_labels=dict(
                    from_student=True, recorder='labels', data_idx=1)))))
