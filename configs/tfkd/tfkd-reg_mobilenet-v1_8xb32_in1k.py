# Tf-KD_reg (Yuan et al., CVPR 2020, arXiv 1909.11723): a manually designed
# virtual teacher, no real teacher. MobileNet, ImageNet (Table 2 "Tf-KD",
# 69.20).
# tau 20, a 0.99, alpha 0.1: the paper gives no values; Tf-KD's CIFAR-100
# ResNet-18 values (the Zipf's LS code also uses tau 20 for ResNet-50).
# The paper's (1 - alpha) * CE is the head's loss with weight 0.9; the KD
# term is the paper's equation (student softened with tau, no multiplier).
# Recipe: the baseline's.
_base_ = ['../baseline/mobilenet-v1_8xb32_in1k.py']

model = dict(
    _delete_=True,
    type='SelfDistillation',
    architecture=dict(
        type='ImageClassifier',
        backbone={{_base_.model.backbone}},
        neck={{_base_.model.neck}},
        head=dict(
            type='LinearClsHead',
            num_classes=1000,
            in_channels=1024,
            loss=dict(type='CrossEntropyLoss', loss_weight=0.9),
            topk=(1, 5))),
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
