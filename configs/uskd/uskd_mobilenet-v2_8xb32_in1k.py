# USKD on MobileNet-V2, ImageNet (Table 3: 72.41, 10.18 min per
# epoch).
# alpha 1, beta 0.1, mu 0.005 (section 4.1); the weak classifier reads
# the last inverted-residual stage (layer7, 320 channels),
# as the official configs. Recipe: MMPretrain's MobileNet-V2 (the baseline's).
_base_ = ['../baseline/mobilenet-v2_8xb32_in1k.py']

model = dict(
    _delete_=True,
    type='SelfDistillation',
    architecture={{_base_.model}},
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        student_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc'),
            middle=dict(type='ModuleOutputs', source='backbone.layer7'),
            labels=dict(type='ModuleInputs', source='head.loss_module')),
        connectors=dict(
            weak=dict(type='WeakClassifier', in_channels=320,
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
