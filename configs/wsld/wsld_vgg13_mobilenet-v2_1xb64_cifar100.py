# WSLD (weighted soft labels, arXiv 2102.00650), VGGNet13 -> MobileNetV2 on
# CIFAR-100 (Table 1).
# tau 4, alpha 2.25: the official NKD repository's CIFAR-100 values.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = [
    '../baseline/mobilenet-v2_1xb64_cifar100.py',
    '../_base_/teachers/vgg13_cifar100.py',
]

model = dict(
    _delete_=True,
    type='TeacherDistill',
    architecture=dict(
        type='ImageClassifier',
        backbone=dict(type='CIFARMobileNetV2', widen_factor=0.5),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=100,
            in_channels=1280,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5))),
    teacher={{_base_.teacher}},
    teacher_ckpt={{_base_.teacher_ckpt}},
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        student_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc'),
            labels=dict(type='ModuleInputs', source='head.loss_module')),
        teacher_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc')),
        distill_losses=dict(
            loss_wsld=dict(type='WSLDLoss', tau=4.0, alpha=2.25)),
        loss_forward_mappings=dict(
            loss_wsld=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits'),
                gt_labels=dict(
                    from_student=True, recorder='labels', data_idx=1)))))

val_cfg = dict(_delete_=True, type='TeacherOnceValLoop')
