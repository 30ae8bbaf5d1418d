# USKD on ShuffleNet-V2 1.0x, ImageNet (Table 3: 70.30, 8.68 min
# per epoch).
# alpha 1, beta 0.1, mu 0.005 (section 4.1); the weak classifier reads
# the third stage (layers.2, 464 channels): the official
# configs list 484, which is no stage width of the 1.0x model
# (116/232/464/1024). Recipe: MMPretrain's ShuffleNet-V2 1.0x (the baseline's).
_base_ = ['../baseline/shufflenet-v2-1x_16xb64_in1k.py']

model = dict(
    _delete_=True,
    type='SelfDistillation',
    architecture={{_base_.model}},
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        student_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc'),
            middle=dict(type='ModuleOutputs', source='backbone.layers.2'),
            labels=dict(type='ModuleInputs', source='head.loss_module')),
        connectors=dict(
            weak=dict(type='WeakClassifier', in_channels=464,
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
