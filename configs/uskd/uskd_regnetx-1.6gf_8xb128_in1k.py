# USKD on RegNetX-1.6GF, ImageNet (Table 4: 77.30; Table 6 target +
# non-target; Table 9 "Normalization"). alpha 1, beta 0.1, mu 0.005; the weak
# classifier reads the third stage (layer3, 408 channels), as the official
# configs. Recipe: MMPretrain's RegNetX-1.6GF.
_base_ = ['../baseline/regnetx-1.6gf_8xb128_in1k.py']

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
            weak=dict(type='WeakClassifier', in_channels=408,
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
