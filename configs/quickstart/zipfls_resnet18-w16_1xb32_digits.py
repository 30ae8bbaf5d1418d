# Quick start: Zipf's label smoothing on the quick-start student, no
# teacher. The student's own classifier (head.fc, recorded as parameters)
# votes at every position of its last feature map (layer4); loss weight
# 0.1 and the x2 bilinear upsampling: the official code's CIFAR-100 values.
# Correctly classified samples only, as in the paper (the official commands
# use every sample: correct_only=False).
# On 8x8 digits layer4 is 1x1, so all positions cast the same vote and the
# other classes are ranked by the final logit.
_base_ = ['../_base_/self_distill/resnet18-w16_digits.py']

model = dict(
    distiller=dict(
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.layer4'),
            fc_weight=dict(type='Parameter', source='head.fc.weight'),
            fc_bias=dict(type='Parameter', source='head.fc.bias')),
        distill_losses=dict(
            loss_zipf=dict(
                type='ZipfLSLoss', upsample_factor=2.0, loss_weight=0.1)),
        loss_forward_mappings=dict(
            loss_zipf=dict(
                feat=dict(from_student=True, recorder='feat'),
                fc_weight=dict(from_student=True, recorder='fc_weight'),
                fc_bias=dict(from_student=True, recorder='fc_bias')))))
