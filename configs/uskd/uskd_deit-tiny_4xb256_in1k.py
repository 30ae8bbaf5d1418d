# USKD on DeiT-Tiny, ImageNet (Table 4: 74.97): the ViT path. Section 4.1:
# alpha 1, beta 0.1, mu 0.005. The weak classifier reads the class token after
# block 6 of 12 (index 5, before the final norm), 192 channels, as the
# official config. The student keeps MMPretrain's Mixup + CutMix: their soft
# labels reach USKDLoss through the head's loss inputs.
_base_ = ['../baseline/deit-tiny_4xb256_in1k.py']

model = dict(
    _delete_=True,
    type='SelfDistillation',
    architecture={{_base_.model}},
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        student_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.layers.head'),
            middle=dict(type='ModuleOutputs', source='backbone.layers.5'),
            labels=dict(type='ModuleInputs', source='head.loss_module')),
        connectors=dict(
            weak=dict(type='WeakClassifier', in_channels=192,
                      num_classes=1000, pool='cls_token')),
        distill_losses=dict(
            loss_uskd=dict(type='USKDLoss', alpha=1.0, beta=0.1, mu=0.005)),
        loss_forward_mappings=dict(
            loss_uskd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_W=dict(
                    from_student=True, recorder='middle', connector='weak'),
                gt_labels=dict(
                    from_student=True, recorder='labels', data_idx=1)))))
