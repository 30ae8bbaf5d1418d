# Quick start: Tf-KD_reg (a manually designed virtual teacher) on the
# quick-start student, no teacher. tau 20, a 0.99, alpha 0.1: Tf-KD's
# CIFAR-100 ResNet-18 values; the paper's (1 - alpha) * CE is the head's
# loss with weight 0.9. The loss is the paper's equation (student softened
# with tau, no multiplier).
_base_ = ['./resnet18-w16_1xb32_digits.py']

model = dict(
    _delete_=True,
    type='SelfDistillation',
    architecture=dict(
        type='ImageClassifier',
        backbone={{_base_.model.backbone}},
        neck={{_base_.model.neck}},
        head=dict(
            type='LinearClsHead',
            num_classes=10,
            in_channels=128,
            loss=dict(type='CrossEntropyLoss', loss_weight=0.9))),
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        student_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc'),
            labels=dict(type='ModuleInputs', source='head.loss_module')),
        distill_losses=dict(
            loss_tfkd=dict(
                type='TfKDRegLoss', tau=20.0, correct_prob=0.99,
                alpha=0.1)),
        loss_forward_mappings=dict(
            loss_tfkd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                gt_labels=dict(
                    from_student=True, recorder='labels', data_idx=1)))))
