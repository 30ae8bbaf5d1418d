# Quick start: Zipf's label smoothing on the quick-start student, no
# teacher. The student's own classifier (head.fc, recorded as parameters)
# votes at every position of its last feature map (layer4); loss weight
# 0.1 and the x2 bilinear upsampling: the official code's CIFAR-100 values.
# Correctly classified samples only, as in the paper (the official commands
# use every sample: correct_only=False).
# On 8x8 digits layer4 is 1x1, so all positions cast the same vote and the
# other classes are ranked by the final logit.
_base_ = ['./resnet18-w16_1xb32_digits.py']

model = dict(
    _delete_=True,
    type='SelfDistillation',
    architecture={{_base_.model}},
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        student_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc'),
            feat=dict(type='ModuleOutputs', source='backbone.layer4'),
            fc_weight=dict(type='Parameter', source='head.fc.weight'),
            fc_bias=dict(type='Parameter', source='head.fc.bias'),
            labels=dict(type='ModuleInputs', source='head.loss_module')),
        distill_losses=dict(
            loss_zipf=dict(
                type='ZipfLSLoss', upsample_factor=2.0, loss_weight=0.1)),
        loss_forward_mappings=dict(
            loss_zipf=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                feat=dict(from_student=True, recorder='feat'),
                fc_weight=dict(from_student=True, recorder='fc_weight'),
                fc_bias=dict(from_student=True, recorder='fc_bias'),
                gt_labels=dict(
                    from_student=True, recorder='labels', data_idx=1)))))
