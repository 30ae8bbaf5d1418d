# Tf-KD_reg (Yuan et al., CVPR 2020, arXiv 1909.11723): a manually designed
# virtual teacher, no real teacher. ResNet-18, ImageNet (Table 2 "Tf-KD",
# 70.14).
# GUESS: no source gives ImageNet ResNet-18 values. This follows the code
# of the ImageNet ResNet-50 cell (the Zipf's LS code's Tf-KD_reg: tau 20,
# alpha 0.1, multiplier 1, CE weight 1.0, the student not softened,
# nn.KLDivLoss()'s mean over all N x K elements, a = 0.99). The paper's
# equation stays available: student_temperature=True,
# reduction='batchmean'.
# Recipe: the baseline's.
_base_ = ['../baseline/resnet18_8xb32_in1k.py']

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
            in_channels=512,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5))),
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        student_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc'),
            labels=dict(type='ModuleInputs', source='head.loss_module')),
        distill_losses=dict(
            loss_tfkd=dict(
                type='TfKDRegLoss', tau=20.0, correct_prob=0.99,
                alpha=0.1, multiplier=1.0, student_temperature=False,
                reduction='mean')),
        loss_forward_mappings=dict(
            loss_tfkd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                gt_labels=dict(
                    from_student=True, recorder='labels', data_idx=1)))))
