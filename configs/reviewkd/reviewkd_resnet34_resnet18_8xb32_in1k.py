# ReviewKD ("Distilling Knowledge via Knowledge Review",
# arXiv 2104.09044), ResNet34 -> ResNet18 on ImageNet (Table 1).
# CE weight 1 plus ReviewKD: the student's stages and pooled feature, fused
# deepest first by ABF units, against the teacher's pre-ReLU stages and pooled
# feature with the hierarchical context loss. Weight 1.0, a one-epoch warm-up
# and fusion width 512: the official ImageNet code for ResNet34 -> ResNet18.
# Recipe: the student's MMPretrain recipe (100 epochs, 8 x 32, SGD lr
# 0.1, steps 30/60/90), through its baseline config.
_base_ = ['../_base_/distill/resnet34_resnet18_in1k.py']

model = dict(
    distiller=dict(
        # The student's stage outputs (after their ReLU, as the official code
        # takes them; ResNet18: layer1, layer2, layer3, layer4), then the
        # pooled feature.
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
        # The teacher's pre-ReLU stage outputs (ReLUs run out of place under
        # the algorithms; ResNet34: the input of each stage's last basic-block
        # ReLU at its second call (record_idx=1, residual added)), then the
        # pooled feature.
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
        connectors=dict(
            abf=dict(
                type='ABFConnector',
                in_channels=[64, 128, 256, 512, 512],
                out_channels=[64, 128, 256, 512, 512],
                mid_channels=512)),
        distill_losses=dict(
            loss_hcl=dict(type='HCLLoss', warmup_epochs=1, loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_hcl=dict(
                preds_S=dict(
                    from_student=True, recorder='feats', connector='abf'),
                preds_T=dict(from_student=False, recorder='feats')))))
