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


#: The official code's learnt global temperature (``1 + 20 sigmoid(t)``, t
#: from 1) and its reversal weight, rising from 0 to 1 with epochs counted
#: from 1 (zhengli97/CTKD).
CTKD_OFFICIAL = dict(
    tau_min=1.0, tau_range=20.0, lambda_min=0.0, lambda_max=1.0,
    first_epoch=1)


def ctkd(loss_weight: float, curriculum_epochs: int,
         official: bool = True) -> dict:
    """CTKD on Hinton's KD: ``loss_ctkd`` at the temperature the
    ``ctkd_temperature`` connector (GlobalTemperature, with the official
    values unless ``official=False``) learns from the teacher's logits."""
    temperature = dict(type='GlobalTemperature',
                       curriculum_epochs=curriculum_epochs)
    if official:
        temperature.update(CTKD_OFFICIAL)
    return dict(
        connectors=dict(ctkd_temperature=temperature),
        distill_losses=dict(
            loss_ctkd=dict(type='CTKDLoss', loss_weight=loss_weight)),
        loss_forward_mappings=dict(
            loss_ctkd=dict(
                temperature=dict(
                    from_student=False,
                    recorder='logits',
                    connector='ctkd_temperature'))))


def mlkd(tau: float, loss_weight: float) -> dict:
    """MLKD's loss (``loss_mlkd``) at the official code's temperatures: the
    weak view's alignments at ``tau`` (its base temperature, KD.TEMPERATURE),
    3, 5, 2 and 6, the strong view's at ``tau``, 3 and 5, the weak view's
    instance alignment again at 2 and 6. The distiller feeds it the logits
    of both views."""
    return dict(
        distill_losses=dict(
            loss_mlkd=dict(
                type='MLKDLoss',
                taus=(tau, 3.0, 5.0, 2.0, 6.0),
                strong_taus=(tau, 3.0, 5.0),
                repeat_weak_taus=(2.0, 6.0),
                loss_weight=loss_weight)))


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


# The feature methods of the CRD benchmark (RepDistiller) with an
# initialisation phase (AB, FT, FSP) and without (NST, KD-SVD).


def init_phase(epochs: int,
               trainable: Sequence[str],
               losses: Sequence[str],
               lr: float = 0.05) -> dict:
    """An :class:`~mmcls_kd.engine.hooks.InitPhaseHook` entry of
    ``custom_hooks``: ``trainable`` trained with ``losses`` alone for
    ``epochs`` epochs first, by the CRD benchmark code's initialisation
    optimizer (SGD, momentum 0.9, weight decay 5e-4, constant ``lr``)."""
    return dict(
        type='InitPhaseHook',
        epochs=epochs,
        trainable=list(trainable),
        losses=list(losses),
        optim_wrapper=dict(
            type='OptimWrapper',
            optimizer=dict(type='SGD', lr=lr, momentum=0.9,
                           weight_decay=5e-4)))


def _stage_recorders(features: Sequence[dict], prefix: str) -> dict:
    return {
        f'{prefix}{i}': _recorder(feature)
        for i, feature in enumerate(features, start=1)
    }


def _stage_record(feature: dict, prefix: str, i: int, student: bool,
                  **extra) -> dict:
    return dict(
        from_student=student,
        recorder=f'{prefix}{i}',
        **_picked(feature),
        **extra)


def _check_stages(method: str, **lists) -> int:
    counts = {name: len(values) for name, values in lists.items()}
    if len(set(counts.values())) != 1:
        raise ValueError(f'{method}: one entry per stage expected in each of '
                         f'{counts}')
    return next(iter(counts.values()))


def ab(student: Sequence[dict],
       teacher: Sequence[dict],
       student_channels: Sequence[int],
       teacher_channels: Optional[Sequence[int]] = None,
       margin: float = 1.0) -> dict:
    """AB on the pre-ReLU feature of each stage (``teacher_channels``: the
    student's unless given). Where the channels differ
    the student's goes through a 1x1 conv + BN connector (the reference
    code's connector at equal resolution); stage ``i`` of ``n`` weighs
    ``2^(i - n)``, as in the reference code. The losses train the student
    in an initialisation phase (:func:`init_phase`): name ``ab_losses``
    there and the student's backbone and the connectors as trainable."""
    teacher_channels = teacher_channels or student_channels
    stages = _check_stages(
        'ab',
        student=student,
        teacher=teacher,
        student_channels=student_channels,
        teacher_channels=teacher_channels)
    numbers = range(1, stages + 1)
    connected = {
        i: s != t
        for i, s, t in zip(numbers, student_channels, teacher_channels)
    }
    return dict(
        student_recorders=_stage_recorders(student, 's'),
        teacher_recorders=_stage_recorders(teacher, 't'),
        connectors={
            f'ab{i}': dict(type='OFDConnector', in_channels=s, out_channels=t)
            for i, s, t in zip(numbers, student_channels, teacher_channels)
            if connected[i]
        },
        distill_losses={
            f'loss_ab{i}':
            dict(type='ABLoss', margin=margin, loss_weight=2.0**(i - stages))
            for i in numbers
        },
        loss_forward_mappings={
            f'loss_ab{i}':
            dict(
                preds_S=_stage_record(
                    s, 's', i, True,
                    **(dict(connector=f'ab{i}') if connected[i] else {})),
                preds_T=_stage_record(t, 't', i, False))
            for i, s, t in zip(numbers, student, teacher)
        })


def ab_losses(stages: int) -> List[str]:
    """The loss names :func:`ab` gives ``stages`` stages."""
    return [f'loss_ab{i}' for i in range(1, stages + 1)]


def ab_connectors(student_channels: Sequence[int],
                  teacher_channels: Sequence[int]) -> List[str]:
    """The connector modules of :func:`ab`, as trainable names."""
    return [
        f'distiller.connectors.ab{i}' for i, (
            s,
            t) in enumerate(zip(student_channels, teacher_channels), start=1)
        if s != t
    ]


def ft_init_phase(epochs: int, lr: float = 0.05) -> dict:
    """The initialisation phase of :func:`ft`: the paraphraser trained to
    reconstruct the teacher's feature."""
    return init_phase(
        epochs,
        trainable=['distiller.connectors.ft_paraphraser'],
        losses=['loss_ft_rec'],
        lr=lr)


def ft(student: dict,
       teacher: dict,
       student_channels: int,
       teacher_channels: int,
       loss_weight: float,
       rate: float = 0.5) -> dict:
    """FT: the teacher's feature through a paraphraser (an auto-encoder
    whose code has ``rate`` of its channels), the student's through a
    translator to the same channels, compared as the CRD benchmark code
    does (``FTLoss`` with ``pool_channels=True``). ``loss_ft_rec``, the mean
    squared reconstruction error of the paraphraser (MMRazor's ``L2Loss``
    without normalisation, per element), trains the paraphraser in the
    initialisation phase (:func:`ft_init_phase`); afterwards ``loss_ft`` trains
    the student and the translator, and the paraphraser stays as it is
    (its output reaches the loss detached)."""
    factor_channels = int(teacher_channels * rate)
    teacher_feature = _picked(teacher)
    return dict(
        student_recorders=dict(feat=_recorder(student)),
        teacher_recorders=dict(feat=_recorder(teacher)),
        connectors=dict(
            ft_translator=dict(
                type='FTTranslator',
                in_channels=student_channels,
                out_channels=factor_channels),
            ft_paraphraser=dict(
                type='FTParaphraser',
                in_channels=teacher_channels,
                out_channels=factor_channels)),
        distill_losses=dict(
            loss_ft=dict(
                type='FTLoss', pool_channels=True, loss_weight=loss_weight),
            loss_ft_rec=dict(
                type='mmrazor.L2Loss', normalize=False, div_element=True)),
        loss_forward_mappings=dict(
            loss_ft=dict(
                preds_S=dict(
                    from_student=True,
                    recorder='feat',
                    **_picked(student),
                    connector='ft_translator'),
                preds_T=dict(
                    from_student=False,
                    recorder='feat',
                    **teacher_feature,
                    connector='ft_paraphraser',
                    connector_idx=0)),
            loss_ft_rec=dict(
                s_feature=dict(
                    from_student=False,
                    recorder='feat',
                    **teacher_feature,
                    connector='ft_paraphraser',
                    connector_idx=1),
                t_feature=dict(
                    from_student=False, recorder='feat', **teacher_feature))))


def _grouped(loss: dict, student: Sequence[dict],
             teacher: Sequence[dict]) -> dict:
    """One loss of the lists of features (Group recorders ``feats``)."""
    name = loss.pop('name')
    return dict(
        student_recorders=dict(
            feats=dict(type='Group', recorders=list(student))),
        teacher_recorders=dict(
            feats=dict(type='Group', recorders=list(teacher))),
        distill_losses={name: loss},
        loss_forward_mappings={
            name:
            dict(
                preds_S=dict(from_student=True, recorder='feats'),
                preds_T=dict(from_student=False, recorder='feats'))
        })


def fsp(student: Sequence[dict], teacher: Sequence[dict]) -> dict:
    """FSP between consecutive recorded features (``loss_fsp``, weight 1 as
    in the reference code's initialisation phase, which is the only place
    it trains: use it with :func:`init_phase`)."""
    _check_stages('fsp', student=student, teacher=teacher)
    return _grouped(dict(name='loss_fsp', type='FSPLoss'), student, teacher)


def kdsvd(student: Sequence[dict],
          teacher: Sequence[dict],
          loss_weight: float = 1.0,
          k: int = 1) -> dict:
    """KD-SVD between consecutive recorded features (``loss_kdsvd``)."""
    _check_stages('kdsvd', student=student, teacher=teacher)
    return _grouped(
        dict(
            name='loss_kdsvd', type='KDSVDLoss', k=k, loss_weight=loss_weight),
        student, teacher)


def nst(student: Sequence[dict], teacher: Sequence[dict],
        loss_weight: float) -> dict:
    """NST at each recorded stage, each weighing ``loss_weight``."""
    stages = _check_stages('nst', student=student, teacher=teacher)
    numbers = range(1, stages + 1)
    return dict(
        student_recorders=_stage_recorders(student, 's'),
        teacher_recorders=_stage_recorders(teacher, 't'),
        distill_losses={
            f'loss_nst{i}': dict(type='NSTLoss', loss_weight=loss_weight)
            for i in numbers
        },
        loss_forward_mappings={
            f'loss_nst{i}':
            dict(
                preds_S=_stage_record(s, 's', i, True),
                preds_T=_stage_record(t, 't', i, False))
            for i, s, t in zip(numbers, student, teacher)
        })
