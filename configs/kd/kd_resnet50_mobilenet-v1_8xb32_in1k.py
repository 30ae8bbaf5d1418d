# KD (Hinton et al., arXiv 1503.02531), ResNet50 -> MobileNet on ImageNet
# (Table 1).
# tau 1, CE weight 0.5 and KD weight 0.5: DKD's ImageNet KD config.
# Recipe: the student's MMPretrain recipe (100 epochs, 8 x 32, SGD lr
# 0.1, steps 30/60/90), through its baseline config.
_base_ = [
    '../baseline/mobilenet-v1_8xb32_in1k.py',
    '../_base_/teachers/resnet50_in1k.py',
]

model = dict(
    _delete_=True,
    type='TeacherDistill',
    architecture=dict(
        type='ImageClassifier',
        backbone=dict(type='MobileNetV1'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=1000,
            in_channels=1024,
            loss=dict(type='CrossEntropyLoss', loss_weight=0.5),
            topk=(1, 5))),
    teacher={{_base_.teacher}},
    teacher_ckpt={{_base_.teacher_ckpt}},
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        student_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc')),
        teacher_recorders=dict(
            logits=dict(type='ModuleOutputs', source='head.fc')),
        distill_losses=dict(
            loss_kd=dict(type='KDLoss', tau=1.0, loss_weight=0.5)),
        loss_forward_mappings=dict(
            loss_kd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits')))))

val_cfg = dict(_delete_=True, type='TeacherOnceValLoop')

# Gradients clipped at L2 norm 5: cls_KD's res50_distill_mv1_img.py (the
# config behind NKD 72.58; KD and WSLD are switches of the same file)
# clips so, on both of its branches.
optim_wrapper = dict(clip_grad=dict(max_norm=5.0, norm_type=2))
