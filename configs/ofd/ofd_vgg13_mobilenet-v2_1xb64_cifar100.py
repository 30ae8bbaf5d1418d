# OFD ("A Comprehensive Overhaul of Feature Distillation",
# arXiv 1904.01866), VGGNet13 -> MobileNetV2 on CIFAR-100 (Table 1).
# CE weight 1 plus OFD on the pre-ReLU output of each stage: margin ReLU on the
# teacher's side (margins from the teacher's BatchNorm before that ReLU, handed
# over by Parameter recorders), 1x1 conv + BN on the student's, partial L2.
# Weight 1e-3 (the OFD code's CIFAR sum / batch / 1000), each earlier stage
# halved again, as the OFD code does. OFD's reference code keeps the teacher's
# BatchNorm in train mode (batch statistics) during distillation;
# TeacherDistill keeps the whole teacher in eval mode (running statistics), as
# the other methods of the table.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/vgg13_mobilenet-v2_cifar100.py']

model = dict(
    distiller=dict(
        # Student, MobileNetV2 (x0.5): the outputs of layer2, 3, 5 and 7, whose
        # last inverted residual ends in a linear projection (no ReLU).
        student_recorders=dict(
            s1=dict(type='ModuleOutputs', source='backbone.layer2'),
            s2=dict(type='ModuleOutputs', source='backbone.layer3'),
            s3=dict(type='ModuleOutputs', source='backbone.layer5'),
            s4=dict(type='ModuleOutputs', source='backbone.layer7')),
        # Teacher, VGG13: the input of the last ConvModule's ReLU in each of
        # layer2-5 (its second conv, index 1), BN layerK.1.bn.
        teacher_recorders=dict(
            t1=dict(
                type='ModuleInputs', source='backbone.layer2.1.activate'),
            t2=dict(
                type='ModuleInputs', source='backbone.layer3.1.activate'),
            t3=dict(
                type='ModuleInputs', source='backbone.layer4.1.activate'),
            t4=dict(
                type='ModuleInputs', source='backbone.layer5.1.activate'),
            bn1_w=dict(type='Parameter', source='backbone.layer2.1.bn.weight'),
            bn1_b=dict(type='Parameter', source='backbone.layer2.1.bn.bias'),
            bn2_w=dict(type='Parameter', source='backbone.layer3.1.bn.weight'),
            bn2_b=dict(type='Parameter', source='backbone.layer3.1.bn.bias'),
            bn3_w=dict(type='Parameter', source='backbone.layer4.1.bn.weight'),
            bn3_b=dict(type='Parameter', source='backbone.layer4.1.bn.bias'),
            bn4_w=dict(type='Parameter', source='backbone.layer5.1.bn.weight'),
            bn4_b=dict(type='Parameter', source='backbone.layer5.1.bn.bias')),
        connectors=dict(
            ofd1=dict(type='OFDConnector', in_channels=12, out_channels=128),
            ofd2=dict(type='OFDConnector', in_channels=16, out_channels=256),
            ofd3=dict(type='OFDConnector', in_channels=48, out_channels=512),
            ofd4=dict(type='OFDConnector', in_channels=160, out_channels=512)),
        # The student's stages are smaller than the teacher's (16 vs 16, 8 vs
        # 8, 4 vs 4, 2 vs 4): the teacher's map is average-pooled to the
        # student's size where it is larger, as mdistiller runs OFD on such
        # pairs.
        distill_losses=dict(
            loss_ofd1=dict(
                type='OFDLoss', pool_teacher=True, loss_weight=1e-3 / 8),
            loss_ofd2=dict(
                type='OFDLoss', pool_teacher=True, loss_weight=1e-3 / 4),
            loss_ofd3=dict(
                type='OFDLoss', pool_teacher=True, loss_weight=1e-3 / 2),
            loss_ofd4=dict(
                type='OFDLoss', pool_teacher=True, loss_weight=1e-3)),
        loss_forward_mappings=dict(
            loss_ofd1=dict(
                preds_S=dict(
                    from_student=True, recorder='s1', connector='ofd1'),
                preds_T=dict(
                    from_student=False,
                    recorder='t1',
                    record_idx=0,
                    data_idx=0),
                bn_weight=dict(from_student=False, recorder='bn1_w'),
                bn_bias=dict(from_student=False, recorder='bn1_b')),
            loss_ofd2=dict(
                preds_S=dict(
                    from_student=True, recorder='s2', connector='ofd2'),
                preds_T=dict(
                    from_student=False,
                    recorder='t2',
                    record_idx=0,
                    data_idx=0),
                bn_weight=dict(from_student=False, recorder='bn2_w'),
                bn_bias=dict(from_student=False, recorder='bn2_b')),
            loss_ofd3=dict(
                preds_S=dict(
                    from_student=True, recorder='s3', connector='ofd3'),
                preds_T=dict(
                    from_student=False,
                    recorder='t3',
                    record_idx=0,
                    data_idx=0),
                bn_weight=dict(from_student=False, recorder='bn3_w'),
                bn_bias=dict(from_student=False, recorder='bn3_b')),
            loss_ofd4=dict(
                preds_S=dict(
                    from_student=True, recorder='s4', connector='ofd4'),
                preds_T=dict(
                    from_student=False,
                    recorder='t4',
                    record_idx=0,
                    data_idx=0),
                bn_weight=dict(from_student=False, recorder='bn4_w'),
                bn_bias=dict(from_student=False, recorder='bn4_b')))))
