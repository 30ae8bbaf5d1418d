# Quick start: the student distilled from the quick-start teacher with RKD
# ("Relational Knowledge Distillation", arXiv 1904.05068): distance- and
# angle-wise relations of the pooled features. The angle loss is this
# package's RKDAngleLoss: MMRazor's AngleWiseRKD has the same value but a
# gradient of 1e12 where two samples share an embedding, and on the digits
# many pooled features of the fresh student are equal (all zero).
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

model = dict(
    distiller=dict(
        # The pooled feature before the classifier (GAP returns a tuple).
        student_recorders=dict(feat=dict(type='ModuleOutputs', source='neck')),
        teacher_recorders=dict(feat=dict(type='ModuleOutputs', source='neck')),
        # Weights 25 and 50 on the raw (not L2-normalised) features: the
        # RKD paper's values as the CRD and DKD benchmark code applies them.
        distill_losses=dict(
            loss_rkd_distance=dict(
                type='mmrazor.DistanceWiseRKD',
                loss_weight=25.0,
                with_l2_norm=False),
            loss_rkd_angle=dict(
                type='RKDAngleLoss', loss_weight=50.0, with_l2_norm=False)),
        loss_forward_mappings=dict(
            loss_rkd_distance=dict(
                preds_S=dict(from_student=True, recorder='feat', data_idx=0),
                preds_T=dict(from_student=False, recorder='feat', data_idx=0)),
            loss_rkd_angle=dict(
                preds_S=dict(from_student=True, recorder='feat', data_idx=0),
                preds_T=dict(from_student=False, recorder='feat',
                             data_idx=0)))))
