"""The distiller wiring of the feature methods, built from a pair's stages.

A feature method's ``model.distiller`` is the same recorders, connectors,
losses and mappings for every teacher/student pair; only the recorded modules,
their channels and a few weights change. The configs call these functions
with what changes, so each idea is written once; what they return is the
plain config the distiller is built from, reachable with ``--cfg-options``
under ``model.distiller.*`` as any other key.

Configs import them after ``_base_`` (MMEngine reads a config whose first
statement assigns ``_base_`` as a text config, which may import functions).

A recorded feature is given as a recorder entry of MMRazor's (the form
``Group`` recorders take): :func:`module_inputs` for the input of a module at
one of its calls, :func:`module_outputs` for a module's output.
"""
from typing import List, Optional, Sequence

#: CRD's paper values (its CIFAR-100 and ImageNet runs).
CRD_NEGATIVES = 16384
CRD_EMBED_DIM = 128


def module_inputs(source: str, call: int = 0) -> dict:
    """The first input of ``source`` at its ``call``-th call in a forward
    (a ReLU called twice in a basic block: ``call=1`` is the pre-ReLU sum)."""
    return dict(
        type='ModuleInputs', source=source, record_idx=call, data_idx=0)


def module_outputs(source: str, index: Optional[int] = None) -> dict:
    """The output of ``source``; ``index`` picks one item of a tuple output
    (MMPretrain's pooling neck returns one)."""
    feature = dict(type='ModuleOutputs', source=source)
    if index is not None:
        feature['data_idx'] = index
    return feature


def _recorder(feature: dict) -> dict:
    """A recorder of its own for the feature; the mapping picks the item."""
    return dict(type=feature['type'], source=feature['source'])


def _picked(feature: dict) -> dict:
    return {
        key: feature[key]
        for key in ('record_idx', 'data_idx') if key in feature
    }


def rkd(distance_weight: float,
        angle_weight: float,
        with_l2_norm: bool = False) -> dict:
    """RKD's distance and angle losses on the pooled features (the neck's
    output) of student and teacher."""

    def mapping() -> dict:
        return dict(
            preds_S=dict(from_student=True, recorder='feat', data_idx=0),
            preds_T=dict(from_student=False, recorder='feat', data_idx=0))

    return dict(
        student_recorders=dict(feat=dict(type='ModuleOutputs', source='neck')),
        teacher_recorders=dict(feat=dict(type='ModuleOutputs', source='neck')),
        distill_losses=dict(
            loss_rkd_distance=dict(
                type='mmrazor.DistanceWiseRKD',
                loss_weight=distance_weight,
                with_l2_norm=with_l2_norm),
            loss_rkd_angle=dict(
                type='RKDAngleLoss',
                loss_weight=angle_weight,
                with_l2_norm=with_l2_norm)),
        loss_forward_mappings=dict(
            loss_rkd_distance=mapping(), loss_rkd_angle=mapping()))


def crd(student_channels: int,
        teacher_channels: int,
        num_samples: int,
        num_negatives: int = CRD_NEGATIVES,
        loss_weight: float = 0.8,
        tau: float = 0.07,
        momentum: float = 0.5) -> dict:
    """CRD on the pooled features, embedded to CRD's 128 dimensions (linear +
    L2 norm); the memory bank has ``num_samples`` rows (one per training
    image). The student's data samples carry each image's index and
    negatives (the inputs of ``ImageClassifier.loss``); the train set must be
    wrapped by :func:`crd_dataset` with the same ``num_negatives``."""
    embedding = dict(type='CRDEmbedding', embed_dim=CRD_EMBED_DIM)
    return dict(
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='neck'),
            samples=dict(
                type='MethodInputs',
                source='mmpretrain.models.classifiers.ImageClassifier.loss')),
        teacher_recorders=dict(feat=dict(type='ModuleOutputs', source='neck')),
        connectors=dict(
            crd_student=dict(embedding, in_channels=student_channels),
            crd_teacher=dict(embedding, in_channels=teacher_channels)),
        distill_losses=dict(
            loss_crd=dict(
                type='CRDLoss',
                num_samples=num_samples,
                num_negatives=num_negatives,
                embed_dim=CRD_EMBED_DIM,
                tau=tau,
                momentum=momentum,
                loss_weight=loss_weight)),
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
                    from_student=True, recorder='samples', data_idx=1))))


def crd_dataset(dataset: dict, num_negatives: int = CRD_NEGATIVES) -> dict:
    """The train set for :func:`crd`: each sample with its index and its
    negatives (drawn exactly, without replacement); replaces the base's."""
    return dict(
        _delete_=True,
        type='CRDDataset',
        dataset=dataset,
        num_negatives=num_negatives,
        mode='exact')


def ofd(student: Sequence[dict],
        teacher: Sequence[dict],
        teacher_bns: Sequence[str],
        student_channels: Sequence[int],
        teacher_channels: Sequence[int],
        loss_weight: float,
        pool_teacher: bool = False) -> dict:
    """OFD at each stage: the student's feature through a 1x1 conv + BN
    connector against the teacher's pre-ReLU feature, whose margins come from
    the BatchNorm before that ReLU (``teacher_bns``, handed over by Parameter
    recorders). The last stage weighs ``loss_weight`` and each earlier one
    half the next, as the OFD code does; ``pool_teacher`` average-pools a
    teacher map larger than the student's."""
    stages = len(student)
    if not stages == len(teacher) == len(teacher_bns) == len(
            student_channels) == len(teacher_channels):
        raise ValueError(
            f'ofd: {len(student)} student features, {len(teacher)} teacher '
            f'features, {len(teacher_bns)} teacher BNs, '
            f'{len(student_channels)} student and {len(teacher_channels)} '
            'teacher channel counts; one of each per stage expected')
    numbers = range(1, stages + 1)
    teacher_recorders = {
        f't{i}': _recorder(feature)
        for i, feature in zip(numbers, teacher)
    }
    for i, bn in zip(numbers, teacher_bns):
        teacher_recorders[f'bn{i}_w'] = dict(
            type='Parameter', source=f'{bn}.weight')
        teacher_recorders[f'bn{i}_b'] = dict(
            type='Parameter', source=f'{bn}.bias')
    loss = dict(type='OFDLoss', pool_teacher=True) if pool_teacher else dict(
        type='OFDLoss')
    return dict(
        student_recorders={
            f's{i}': _recorder(feature)
            for i, feature in zip(numbers, student)
        },
        teacher_recorders=teacher_recorders,
        connectors={
            f'ofd{i}': dict(
                type='OFDConnector', in_channels=s, out_channels=t)
            for i, s, t in zip(numbers, student_channels, teacher_channels)
        },
        distill_losses={
            f'loss_ofd{i}': dict(
                loss, loss_weight=loss_weight / 2**(stages - i))
            for i in numbers
        },
        loss_forward_mappings={
            f'loss_ofd{i}': dict(
                preds_S=dict(
                    from_student=True,
                    recorder=f's{i}',
                    **_picked(s),
                    connector=f'ofd{i}'),
                preds_T=dict(from_student=False, recorder=f't{i}',
                             **_picked(t)),
                bn_weight=dict(from_student=False, recorder=f'bn{i}_w'),
                bn_bias=dict(from_student=False, recorder=f'bn{i}_b'))
            for i, s, t in zip(numbers, student, teacher)
        })


def reviewkd(student: List[dict], teacher: List[dict], abf: dict,
             hcl: dict) -> dict:
    """ReviewKD: the student's features (stages, then the pooled feature)
    fused deepest first by the ABF connector (``abf``: its arguments) against
    the teacher's, with the hierarchical context loss (``hcl``: HCLLoss's
    arguments)."""
    return dict(
        student_recorders=dict(feats=dict(type='Group', recorders=student)),
        teacher_recorders=dict(feats=dict(type='Group', recorders=teacher)),
        connectors=dict(abf=dict(type='ABFConnector', **abf)),
        distill_losses=dict(loss_hcl=dict(type='HCLLoss', **hcl)),
        loss_forward_mappings=dict(
            loss_hcl=dict(
                preds_S=dict(
                    from_student=True, recorder='feats', connector='abf'),
                preds_T=dict(from_student=False, recorder='feats'))))


def zipf_ls(feature: str, **loss) -> dict:
    """Zipf's label smoothing: the student's own classifier (``head.fc``,
    recorded as parameters) votes at every position of its feature map
    ``feature``; ``loss`` holds ZipfLSLoss's arguments."""
    return dict(
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source=feature),
            fc_weight=dict(type='Parameter', source='head.fc.weight'),
            fc_bias=dict(type='Parameter', source='head.fc.bias')),
        distill_losses=dict(loss_zipf=dict(type='ZipfLSLoss', **loss)),
        loss_forward_mappings=dict(
            loss_zipf=dict(
                feat=dict(from_student=True, recorder='feat'),
                fc_weight=dict(from_student=True, recorder='fc_weight'),
                fc_bias=dict(from_student=True, recorder='fc_bias'))))


def _stages(method: str,
            loss: dict,
            student: Sequence[dict],
            teacher: Sequence[dict],
            connectors: Sequence[dict] = ()) -> dict:
    """One ``loss`` per pair of recorded features: recorders ``stage{i}``
    on both sides and losses ``loss_{method}{i}``, numbered from 1 (one
    pair: recorders ``feat``, loss ``loss_{method}``); ``connectors``, if
    given, one per stage, carry the student's feature (``{method}{i}``)."""
    if len(student) != len(teacher) or (connectors
                                        and len(connectors) != len(student)):
        raise ValueError(
            f'{method}: {len(student)} student features, {len(teacher)} '
            f'teacher features and {len(connectors)} connectors; one of '
            'each per stage expected')
    names = [str(i) if len(student) > 1 else '' for i in
             range(1, len(student) + 1)]

    def recorder(name):
        return f'stage{name}' if name else 'feat'

    def mapping(name, s, t):
        preds_S = dict(from_student=True, recorder=recorder(name),
                       **_picked(s))
        if connectors:
            preds_S['connector'] = f'{method}{name}'
        return dict(
            preds_S=preds_S,
            preds_T=dict(from_student=False, recorder=recorder(name),
                         **_picked(t)))

    wiring = dict(
        student_recorders={
            recorder(n): _recorder(s)
            for n, s in zip(names, student)
        },
        teacher_recorders={
            recorder(n): _recorder(t)
            for n, t in zip(names, teacher)
        },
        distill_losses={f'loss_{method}{n}': dict(loss)
                        for n in names},
        loss_forward_mappings={
            f'loss_{method}{n}': mapping(n, s, t)
            for n, s, t in zip(names, student, teacher)
        })
    if connectors:
        wiring['connectors'] = {
            f'{method}{n}': dict(c)
            for n, c in zip(names, connectors)
        }
    return wiring


def fitnet(student: dict,
           teacher: dict,
           student_channels: int,
           teacher_channels: int,
           loss_weight: float,
           student_size: Optional[int] = None,
           teacher_size: Optional[int] = None) -> dict:
    """FitNet in one stage, as the CRD benchmark code trains it: the
    student's guided layer through the FitNetRegressor connector
    (``fitnet``) against the teacher's hint layer, the L2 hint loss
    ``loss_fitnet`` beside the cross-entropy."""
    regressor = dict(
        type='FitNetRegressor',
        in_channels=student_channels,
        out_channels=teacher_channels)
    if student_size or teacher_size:
        regressor.update(student_size=student_size, teacher_size=teacher_size)
    return _stages('fitnet', dict(type='FitNetLoss', loss_weight=loss_weight),
                   [student], [teacher], [regressor])


def at(student: Sequence[dict], teacher: Sequence[dict],
       loss_weight: float) -> dict:
    """Attention transfer at each pair of stage outputs (``loss_at1``, ...),
    each weighing ``loss_weight``."""
    return _stages('at', dict(type='ATLoss', loss_weight=loss_weight),
                   student, teacher)


def sp(student: dict, teacher: dict, loss_weight: float) -> dict:
    """Similarity preservation on one pair of features (``loss_sp``)."""
    return _stages('sp', dict(type='SPLoss', loss_weight=loss_weight),
                   [student], [teacher])


def vid(student: Sequence[dict], teacher: Sequence[dict],
        student_channels: Sequence[int], teacher_channels: Sequence[int],
        loss_weight: float) -> dict:
    """VID at each pair of stage outputs: the student's feature through a
    VIDRegressor connector (``vid1``, ...: the Gaussian's mean and its
    per-channel variance) against the teacher's, each ``loss_vid{i}``
    weighing ``loss_weight``."""
    regressors = [
        dict(type='VIDRegressor', in_channels=s, out_channels=t)
        for s, t in zip(student_channels, teacher_channels)
    ]
    return _stages('vid', dict(type='VIDLoss', loss_weight=loss_weight),
                   student, teacher, regressors)


def _pooled(method: str, loss: dict) -> dict:
    """``loss`` on the pooled features (the neck's output) of both."""
    pooled = module_outputs('neck', index=0)
    return _stages(method, loss, [pooled], [pooled])


def cc(student_channels: int,
       teacher_channels: int,
       loss_weight: float,
       embed_dim: int = 128) -> dict:
    """Correlation congruence on the pooled features, each side through its
    own LinearEmbedding connector (``cc_student``, ``cc_teacher``)."""
    wiring = _pooled('cc', dict(type='CCLoss', loss_weight=loss_weight))
    wiring['connectors'] = {
        f'cc_{side}': dict(
            type='LinearEmbedding', in_channels=channels, embed_dim=embed_dim)
        for side, channels in (('student', student_channels),
                               ('teacher', teacher_channels))
    }
    mapping = wiring['loss_forward_mappings']['loss_cc']
    mapping['preds_S']['connector'] = 'cc_student'
    mapping['preds_T']['connector'] = 'cc_teacher'
    return wiring


def pkt(loss_weight: float) -> dict:
    """Probabilistic knowledge transfer on the pooled features."""
    return _pooled('pkt', dict(type='PKTLoss', loss_weight=loss_weight))
