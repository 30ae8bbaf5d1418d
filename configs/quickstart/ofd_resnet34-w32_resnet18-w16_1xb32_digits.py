# Quick start: the student distilled from the quick-start teacher with OFD
# ("A Comprehensive Overhaul of Feature Distillation", arXiv 1904.01866):
# the pre-ReLU output of each of the four stages. In a basic block the
# pre-ReLU feature (residual added) is the input of the block's ReLU at its
# second call (record_idx=1; the algorithms run every ReLU out of place,
# so it is not overwritten); the margins come from the BatchNorm before it (bn2),
# whose parameters the Parameter recorders hand to the loss.
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

model = dict(
    distiller=dict(
        # ResNet_CIFAR-18: two blocks per stage, 16/32/64/128 channels.
        student_recorders=dict(
            s1=dict(type='ModuleInputs', source='backbone.layer1.1.relu'),
            s2=dict(type='ModuleInputs', source='backbone.layer2.1.relu'),
            s3=dict(type='ModuleInputs', source='backbone.layer3.1.relu'),
            s4=dict(type='ModuleInputs', source='backbone.layer4.1.relu')),
        # ResNet_CIFAR-34: 3/4/6/3 blocks, 32/64/128/256 channels.
        teacher_recorders=dict(
            t1=dict(type='ModuleInputs', source='backbone.layer1.2.relu'),
            t2=dict(type='ModuleInputs', source='backbone.layer2.3.relu'),
            t3=dict(type='ModuleInputs', source='backbone.layer3.5.relu'),
            t4=dict(type='ModuleInputs', source='backbone.layer4.2.relu'),
            bn1_w=dict(
                type='Parameter', source='backbone.layer1.2.bn2.weight'),
            bn1_b=dict(type='Parameter', source='backbone.layer1.2.bn2.bias'),
            bn2_w=dict(
                type='Parameter', source='backbone.layer2.3.bn2.weight'),
            bn2_b=dict(type='Parameter', source='backbone.layer2.3.bn2.bias'),
            bn3_w=dict(
                type='Parameter', source='backbone.layer3.5.bn2.weight'),
            bn3_b=dict(type='Parameter', source='backbone.layer3.5.bn2.bias'),
            bn4_w=dict(
                type='Parameter', source='backbone.layer4.2.bn2.weight'),
            bn4_b=dict(type='Parameter', source='backbone.layer4.2.bn2.bias')),
        connectors=dict(
            ofd1=dict(type='OFDConnector', in_channels=16, out_channels=32),
            ofd2=dict(type='OFDConnector', in_channels=32, out_channels=64),
            ofd3=dict(type='OFDConnector', in_channels=64, out_channels=128),
            ofd4=dict(type='OFDConnector', in_channels=128, out_channels=256)),
        # The paper's CIFAR code: sum / batch / 1000, each earlier stage
        # halved again.
        distill_losses=dict(
            loss_ofd1=dict(type='OFDLoss', loss_weight=1e-3 / 8),
            loss_ofd2=dict(type='OFDLoss', loss_weight=1e-3 / 4),
            loss_ofd3=dict(type='OFDLoss', loss_weight=1e-3 / 2),
            loss_ofd4=dict(type='OFDLoss', loss_weight=1e-3)),
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
                bn_bias=dict(from_student=False, recorder='bn3_b')),
            loss_ofd4=dict(
                preds_S=dict(
                    from_student=True,
                    recorder='s4',
                    record_idx=1,
                    data_idx=0,
                    connector='ofd4'),
                preds_T=dict(
                    from_student=False,
                    recorder='t4',
                    record_idx=1,
                    data_idx=0),
                bn_weight=dict(from_student=False, recorder='bn4_w'),
                bn_bias=dict(from_student=False, recorder='bn4_b')))))
