# Quick start: the student distilled from the quick-start teacher with CRD
# ("Contrastive Representation Distillation", arXiv 1910.10699).
_base_ = ['../_base_/distill/resnet34-w32_resnet18-w16_digits.py']

# The digits have about 1,290 training images outside each class, so the
# paper's 16,384 negatives (for CIFAR's 49,500) would mostly be repeats:
# 1,024 here, drawn without replacement. Must equal the loss's value.
__num_negatives = 1024

# CRD's memory bank has one row per training image: each data sample must
# carry its index (and its negatives), which the wrapper adds.
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='CRDDataset',
        dataset={{_base_.train_dataloader.dataset}},
        num_negatives=__num_negatives,
        mode='exact'))

model = dict(
    distiller=dict(
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='neck'),
            # The student's data samples, with sample_idx and contrast_idx:
            # the inputs (inputs, data_samples) of ImageClassifier.loss.
            samples=dict(
                type='MethodInputs',
                source='mmpretrain.models.classifiers.ImageClassifier.loss')),
        teacher_recorders=dict(feat=dict(type='ModuleOutputs', source='neck')),
        # Linear + L2 norm to 128 dimensions (the paper's feat_dim) from the
        # pooled features: 128 channels (student), 256 (teacher).
        connectors=dict(
            crd_student=dict(
                type='CRDEmbedding', in_channels=128, embed_dim=128),
            crd_teacher=dict(
                type='CRDEmbedding', in_channels=256, embed_dim=128)),
        distill_losses=dict(
            loss_crd=dict(
                type='CRDLoss',
                # Size of the digits' training split (Digits.NUM_TRAIN).
                num_samples=1437,
                num_negatives=__num_negatives,
                embed_dim=128,
                # The paper's NCE temperature, momentum and weight (beta).
                tau=0.07,
                momentum=0.5,
                loss_weight=0.8)),
        loss_forward_mappings=dict(
            loss_crd=dict(
                preds_S=dict(
                    from_student=True,
                    recorder='feat',
                    data_idx=0,
                    connector='crd_student'),
                preds_T=dict(
                    from_student=False,
                    recorder='feat',
                    data_idx=0,
                    connector='crd_teacher'),
                data_samples=dict(
                    from_student=True, recorder='samples', data_idx=1)))))
