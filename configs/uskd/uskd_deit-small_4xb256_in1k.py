# USKD on DeiT-Small, ImageNet (Table 4: 80.77).
# alpha 1, beta 0.1, mu 0.005 (section 4.1); the weak classifier reads
# the class token after block 6 of 12
# (index 5, before the final norm), 384 channels: the official DeiT-Tiny
# choice (L/2 - 1) at DeiT-Small's width. The student keeps MMPretrain's
# Mixup + CutMix: their soft labels reach USKDLoss through the head's loss
# inputs. Recipe: MMPretrain's DeiT-Small (the baseline's).
_base_ = ['../baseline/deit-small_4xb256_in1k.py']

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
            weak=dict(type='WeakClassifier', in_channels=384,
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
