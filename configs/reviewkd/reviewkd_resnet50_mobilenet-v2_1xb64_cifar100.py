# ReviewKD ("Distilling Knowledge via Knowledge Review",
# arXiv 2104.09044), ResNet50 -> MobileNetV2 on CIFAR-100 (Table 1).
# CE weight 1 plus ReviewKD: the student's stages and pooled feature, fused
# deepest first by ABF units, against the teacher's pre-ReLU stages and pooled
# feature with the hierarchical context loss. Weight 5.0 as for the CIFAR pairs
# of the official code; no official weight for MobileNetV2 students was found.
# Warm-up 20 epochs.
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
        # The student's stage outputs (linear, no ReLU at the end of these
        # stages, as the official code takes them; MobileNetV2 (x0.5): layer2,
        # layer3, layer5, layer7), then the pooled feature.
        student_recorders=dict(
            feats=dict(
                type='Group',
                recorders=[
                    dict(type='ModuleOutputs', source='backbone.layer2'),
                    dict(type='ModuleOutputs', source='backbone.layer3'),
                    dict(type='ModuleOutputs', source='backbone.layer5'),
                    dict(type='ModuleOutputs', source='backbone.layer7'),
                    dict(type='ModuleOutputs', source='neck', data_idx=0),
                ])),
        # The teacher's pre-ReLU stage outputs, copied before the in-place ReLU
        # overwrites them (ResNet50 (CIFAR): the input of each stage's last
        # bottleneck ReLU at its third call (record_idx=2, residual added)),
        # then the pooled feature.
        teacher_recorders=dict(
            feats=dict(
                type='Group',
                recorders=[
                    dict(
                        type='ModuleInputsCopy',
                        source='backbone.layer1.2.relu',
                        record_idx=2,
                        data_idx=0),
                    dict(
                        type='ModuleInputsCopy',
                        source='backbone.layer2.3.relu',
                        record_idx=2,
                        data_idx=0),
                    dict(
                        type='ModuleInputsCopy',
                        source='backbone.layer3.5.relu',
                        record_idx=2,
                        data_idx=0),
                    dict(
                        type='ModuleInputsCopy',
                        source='backbone.layer4.2.relu',
                        record_idx=2,
                        data_idx=0),
                    dict(type='ModuleOutputs', source='neck', data_idx=0),
                ])),
        # The student's stages are smaller than the teacher's: each fused map
        # is resized to the teacher feature's size before its output conv, as
        # the official code does for these students.
        connectors=dict(
            abf=dict(
                type='ABFConnector',
                in_channels=[12, 16, 48, 160, 1280],
                out_channels=[256, 512, 1024, 2048, 2048],
                out_sizes=[32, 16, 8, 4, 1])),
        distill_losses=dict(
            loss_hcl=dict(
                type='HCLLoss', warmup_epochs=20, loss_weight=5.0)),
        loss_forward_mappings=dict(
            loss_hcl=dict(
                preds_S=dict(from_student=True, recorder='feats',
                             connector='abf'),
                preds_T=dict(from_student=False, recorder='feats')))))

val_cfg = dict(_delete_=True, type='TeacherOnceValLoop')
