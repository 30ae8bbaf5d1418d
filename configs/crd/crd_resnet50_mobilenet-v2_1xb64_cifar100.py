# CRD (contrastive representation distillation,
# arXiv 1910.10699), ResNet50 -> MobileNetV2 on CIFAR-100 (Table 1).
# CE weight 1 plus CRD (weight 0.8), as the CRD paper's CIFAR-100 runs.
# Recipe: CRD/DKD's CIFAR-100 one (../_base_/cifar100_runtime.py,
# through the student's baseline config).
_base_ = ['../_base_/distill/resnet50_mobilenet-v2_cifar100.py']

# CRD's 16,384 negatives per sample (its CIFAR-100 and ImageNet value).
# Must equal the loss's value.
__num_negatives = 16384

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
            # The data samples, with sample_idx and contrast_idx: the inputs
            # (inputs, data_samples) of ImageClassifier.loss.
            samples=dict(
                type='MethodInputs',
                source='mmpretrain.models.classifiers.ImageClassifier.loss')),
        teacher_recorders=dict(feat=dict(type='ModuleOutputs', source='neck')),
        # Linear + L2 norm to CRD's 128 dimensions from the pooled features.
        connectors=dict(
            crd_student=dict(
                type='CRDEmbedding', in_channels=1280, embed_dim=128),
            crd_teacher=dict(
                type='CRDEmbedding', in_channels=2048, embed_dim=128)),
        distill_losses=dict(
            loss_crd=dict(
                type='CRDLoss',
                # One memory-bank row per training image.
                num_samples=50000,
                num_negatives=__num_negatives,
                embed_dim=128,
                # CRD's NCE temperature, momentum and weight (beta 0.8).
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
