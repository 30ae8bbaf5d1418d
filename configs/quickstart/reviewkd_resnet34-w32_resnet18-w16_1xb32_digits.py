# Quick start: the student distilled from the quick-start teacher with
# ReviewKD ("Distilling Knowledge via Knowledge Review", arXiv 2104.09044):
# the four stages and the pooled feature of the student, fused deepest first
# by ABF units, against the teacher's pre-ReLU stages and pooled feature
# with the hierarchical context loss.
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

model = dict(
    distiller=dict(
        # The official code: the student's post-ReLU stage outputs.
        student_recorders=dict(
            feats=dict(
                type='Group',
                recorders=[
                    dict(type='ModuleOutputs', source='backbone.layer1'),
                    dict(type='ModuleOutputs', source='backbone.layer2'),
                    dict(type='ModuleOutputs', source='backbone.layer3'),
                    dict(type='ModuleOutputs', source='backbone.layer4'),
                    dict(type='ModuleOutputs', source='neck', data_idx=0),
                ])),
        # The teacher's pre-ReLU stage outputs: the input of each stage's
        # last ReLU call (second call in a basic block; the algorithms run
        # every ReLU out of place, so it is not overwritten).
        teacher_recorders=dict(
            feats=dict(
                type='Group',
                recorders=[
                    dict(
                        type='ModuleInputs',
                        source='backbone.layer1.2.relu',
                        record_idx=1,
                        data_idx=0),
                    dict(
                        type='ModuleInputs',
                        source='backbone.layer2.3.relu',
                        record_idx=1,
                        data_idx=0),
                    dict(
                        type='ModuleInputs',
                        source='backbone.layer3.5.relu',
                        record_idx=1,
                        data_idx=0),
                    dict(
                        type='ModuleInputs',
                        source='backbone.layer4.2.relu',
                        record_idx=1,
                        data_idx=0),
                    dict(type='ModuleOutputs', source='neck', data_idx=0),
                ])),
        # Stage widths of ResNet_CIFAR-18 w16 and -34 w32, shallow to deep,
        # then the pooled feature; mid width min(512, 128) by default.
        connectors=dict(
            abf=dict(
                type='ABFConnector',
                in_channels=[16, 32, 64, 128, 128],
                out_channels=[32, 64, 128, 256, 256])),
        distill_losses=dict(
            # Weight 1 and no warm-up: a ten-epoch quick start (the paper's
            # CIFAR runs use weights 0.6-8 by pair and 20 warm-up epochs).
            loss_hcl=dict(type='HCLLoss', loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_hcl=dict(
                preds_S=dict(
                    from_student=True, recorder='feats', connector='abf'),
                preds_T=dict(from_student=False, recorder='feats')))))
