# USKD on ResNet-18, ImageNet (Table 2: 70.79; Table 9 "Normalization").
# Section 4.1: alpha 1, beta 0.1, mu 0.005. The weak classifier reads
# layer3 (256 channels), as the official configs.
_base_ = ['../baseline/resnet18_8xb32_in1k.py']

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
            weak=dict(type='WeakClassifier', in_channels=256,
                      num_classes=1000, pool='gap')),
        distill_losses=dict(
            loss_uskd=dict(type='USKDLoss', alpha=1.0, beta=0.1, mu=0.005)),
        loss_forward_mappings=dict(
            loss_uskd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_W=dict(
                    from_student=True, recorder='middle', connector='weak'),
                gt_labels=dict(
                    from_student=True, recorder='labels', data_idx=1)))))
