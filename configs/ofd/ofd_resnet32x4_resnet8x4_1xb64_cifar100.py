# OFD ("A Comprehensive Overhaul of Feature Distillation",
# arXiv 1904.01866), ResNet32x4 -> ResNet8x4 on CIFAR-100 (Table 1).
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
_base_ = ['../_base_/distill/resnet32x4_resnet8x4_cifar100.py']

model = dict(
    distiller=dict(
        # Student, ResNet8x4: one basic block per stage; the input of its ReLU
        # at the second call (record_idx=1), BN bn2.
        student_recorders=dict(
            s1=dict(type='ModuleInputs', source='backbone.layer1.0.relu'),
            s2=dict(type='ModuleInputs', source='backbone.layer2.0.relu'),
            s3=dict(type='ModuleInputs', source='backbone.layer3.0.relu')),
        # Teacher, ResNet32x4: five basic blocks per stage; the input of the
        # last block's ReLU at its second call (record_idx=1, residual added),
        # BN bn2.
        teacher_recorders=dict(
            t1=dict(type='ModuleInputs', source='backbone.layer1.4.relu'),
            t2=dict(type='ModuleInputs', source='backbone.layer2.4.relu'),
            t3=dict(type='ModuleInputs', source='backbone.layer3.4.relu'),
            bn1_w=dict(
                type='Parameter', source='backbone.layer1.4.bn2.weight'),
            bn1_b=dict(type='Parameter', source='backbone.layer1.4.bn2.bias'),
            bn2_w=dict(
                type='Parameter', source='backbone.layer2.4.bn2.weight'),
            bn2_b=dict(type='Parameter', source='backbone.layer2.4.bn2.bias'),
            bn3_w=dict(
                type='Parameter', source='backbone.layer3.4.bn2.weight'),
            bn3_b=dict(type='Parameter', source='backbone.layer3.4.bn2.bias')),
        connectors=dict(
            ofd1=dict(type='OFDConnector', in_channels=64, out_channels=64),
            ofd2=dict(type='OFDConnector', in_channels=128, out_channels=128),
            ofd3=dict(type='OFDConnector', in_channels=256, out_channels=256)),
        distill_losses=dict(
            loss_ofd1=dict(type='OFDLoss', loss_weight=1e-3 / 4),
            loss_ofd2=dict(type='OFDLoss', loss_weight=1e-3 / 2),
            loss_ofd3=dict(type='OFDLoss', loss_weight=1e-3)),
        loss_forward_mappings=dict(
            loss_ofd1=dict(
                preds_S=dict(
                    from_student=True,
                    recorder='s1',
                    record_idx=1,
                    data_idx=0,
                    connector='ofd1'),
                preds_T=dict(
                    from_student=False,
                    recorder='t1',
                    record_idx=1,
                    data_idx=0),
                bn_weight=dict(from_student=False, recorder='bn1_w'),
                bn_bias=dict(from_student=False, recorder='bn1_b')),
            loss_ofd2=dict(
                preds_S=dict(
                    from_student=True,
                    recorder='s2',
                    record_idx=1,
                    data_idx=0,
                    connector='ofd2'),
                preds_T=dict(
                    from_student=False,
                    recorder='t2',
                    record_idx=1,
                    data_idx=0),
                bn_weight=dict(from_student=False, recorder='bn2_w'),
                bn_bias=dict(from_student=False, recorder='bn2_b')),
            loss_ofd3=dict(
                preds_S=dict(
                    from_student=True,
                    recorder='s3',
                    record_idx=1,
                    data_idx=0,
                    connector='ofd3'),
                preds_T=dict(
                    from_student=False,
                    recorder='t3',
                    record_idx=1,
                    data_idx=0),
                bn_weight=dict(from_student=False, recorder='bn3_w'),
                bn_bias=dict(from_student=False, recorder='bn3_b')))))
