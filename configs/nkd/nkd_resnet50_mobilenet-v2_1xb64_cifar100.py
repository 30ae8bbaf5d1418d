# NKD (Eq. 4), ResNet50 -> MobileNetV2 on CIFAR-100 (Table 1).
# The paper gives no per-pair CIFAR-100 values ("follow DKD's
# setting"; its supplement is not public here): tau 3, gamma 3.5 are
# the official code's only CIFAR-100 NKD values (ResNet-34 -> ResNet-18).
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = [
    '../baseline/mobilenet-v2_1xb64_cifar100.py',
    '../_base_/teachers/resnet50_cifar100.py',
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
            loss_nkd=dict(type='NKDLoss', tau=3.0, gamma=3.5,
                          non_target='normalized')),
        loss_forward_mappings=dict(
            loss_nkd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits'),
                gt_labels=dict(
                    from_student=True, recorder='labels', data_idx=1)))))

val_cfg = dict(_delete_=True, type='TeacherOnceValLoop')
