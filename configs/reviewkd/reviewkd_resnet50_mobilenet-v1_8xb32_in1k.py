# ReviewKD ("Distilling Knowledge via Knowledge Review",
# arXiv 2104.09044), ResNet50 -> MobileNet on ImageNet (Table 1).
# CE weight 1 plus ReviewKD: the student's stages and pooled feature, fused
# deepest first by ABF units, against the teacher's pre-ReLU stages and pooled
# feature with the hierarchical context loss. Weight 8.0, a one-epoch warm-up
# and fusion width 256: the official ImageNet code for ResNet50 -> MobileNet.
# Recipe: the student's MMPretrain recipe (100 epochs, 8 x 32, SGD lr
# 0.1, steps 30/60/90), through its baseline config.
_base_ = ['../_base_/distill/resnet50_mobilenet-v1_in1k.py']

model = dict(
    distiller=dict(
        # The student's stage outputs (after their ReLU, as the official code
        # takes them; MobileNetV1: layer2, layer3, layer4, layer5), then the
        # pooled feature.
        student_recorders=dict(
            feats=dict(
                type='Group',
                recorders=[
                    dict(type='ModuleOutputs', source='backbone.layer2'),
                    dict(type='ModuleOutputs', source='backbone.layer3'),
                    dict(type='ModuleOutputs', source='backbone.layer4'),
                    dict(type='ModuleOutputs', source='backbone.layer5'),
                    dict(type='ModuleOutputs', source='neck', data_idx=0),
                ])),
        # The teacher's pre-ReLU stage outputs (ReLUs run out of place under
        # the algorithms; ResNet50: the input of each stage's last bottleneck
        # ReLU at its third call (record_idx=2, residual added)), then the
        # pooled feature.
        teacher_recorders=dict(
            feats=dict(
                type='Group',
                recorders=[
                    dict(
                        type='ModuleInputs',
                        source='backbone.layer1.2.relu',
                        record_idx=2,
                        data_idx=0),
                    dict(
                        type='ModuleInputs',
                        source='backbone.layer2.3.relu',
                        record_idx=2,
                        data_idx=0),
                    dict(
                        type='ModuleInputs',
                        source='backbone.layer3.5.relu',
                        record_idx=2,
                        data_idx=0),
                    dict(
                        type='ModuleInputs',
                        source='backbone.layer4.2.relu',
                        record_idx=2,
                        data_idx=0),
                    dict(type='ModuleOutputs', source='neck', data_idx=0),
                ])),
        connectors=dict(
            abf=dict(
                type='ABFConnector',
                in_channels=[128, 256, 512, 1024, 1024],
                out_channels=[256, 512, 1024, 2048, 2048],
                mid_channels=256)),
        distill_losses=dict(
            loss_hcl=dict(type='HCLLoss', warmup_epochs=1, loss_weight=8.0)),
        loss_forward_mappings=dict(
            loss_hcl=dict(
                preds_S=dict(
                    from_student=True, recorder='feats', connector='abf'),
                preds_T=dict(from_student=False, recorder='feats')))))
