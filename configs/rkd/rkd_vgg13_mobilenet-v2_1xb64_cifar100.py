# RKD (relational KD, arXiv 1904.05068), VGGNet13 -> MobileNetV2 on CIFAR-100
# (Table 1).
# CE weight 1 plus the distance and angle losses, as CRD's benchmark.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/vgg13_mobilenet-v2_cifar100.py']

model = dict(
    distiller=dict(
        # The pooled feature before the classifier (GAP returns a tuple).
        student_recorders=dict(feat=dict(type='ModuleOutputs', source='neck')),
        teacher_recorders=dict(feat=dict(type='ModuleOutputs', source='neck')),
        # Weights 25 (distance) and 50 (angle) on the raw features: the RKD
        # paper's values as the CRD and DKD benchmark code applies them.
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
