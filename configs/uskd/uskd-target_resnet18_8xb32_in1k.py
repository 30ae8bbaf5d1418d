# USKD target loss alone on ResNet-18 (the base of Table 8). No weak
# classifier is built: without L_non nothing needs its rank (nor L_weak).
_base_ = ['./uskd_resnet18_8xb32_in1k.py']

model = dict(
    distiller=dict(
        student_recorders=dict(
            _delete_=True,
            logits=dict(type='ModuleOutputs', source='head.fc'),
            labels=dict(type='ModuleInputs', source='head.loss_module')),
        connectors=dict(_delete_=True),
        distill_losses=dict(loss_uskd=dict(non_target='none')),
        loss_forward_mappings=dict(
            loss_uskd=dict(
                _delete_=True,
                preds_S=dict(from_student=True, recorder='logits'),
                gt_labels=dict(
                    from_student=True, recorder='labels', data_idx=1)))))
