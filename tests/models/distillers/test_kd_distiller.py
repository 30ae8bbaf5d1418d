"""KDDistiller: the default logit wiring, per-argument overrides, and a
loss that would never be computed refused at build time."""
import pytest
import torch
from mmengine.registry import DefaultScope
from torch import nn

from mmcls_kd.registry import MODELS


class _Classifier(nn.Module):
    """The module names KDDistiller records by default."""

    def __init__(self):
        super().__init__()
        self.head = nn.Module()
        self.head.fc = nn.Linear(4, 3)
        self.head.loss_module = nn.CrossEntropyLoss()
        self.neck = nn.Identity()

    def forward(self, x, labels):
        feat = self.neck(x)
        logits = self.head.fc(feat)
        return self.head.loss_module(logits, labels)


def _build(**cfg):
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        return MODELS.build(dict(type='KDDistiller', **cfg))


def _records(distiller, student, teacher, x, labels):
    distiller.prepare_from_student(student)
    distiller.prepare_from_teacher(teacher)
    with distiller.student_recorders, distiller.teacher_recorders:
        student(x, labels)
        teacher(x, labels)
        return distiller.compute_distill_losses()


def test_logit_loss_reads_the_default_records():
    torch.manual_seed(0)
    student, teacher = _Classifier(), _Classifier()
    distiller = _build(distill_losses=dict(
        loss_nkd=dict(type='NKDLoss', tau=1.0, gamma=1.5)))
    assert distiller.loss_forward_mappings == dict(loss_nkd=dict(
        preds_S=dict(from_student=True, recorder='logits'),
        preds_T=dict(from_student=False, recorder='logits'),
        gt_labels=dict(from_student=True, recorder='labels', data_idx=1)))
    x, labels = torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1])
    losses = _records(distiller, student, teacher, x, labels)
    expected = MODELS.build(dict(type='NKDLoss', tau=1.0, gamma=1.5))(
        student.head.fc(x), teacher.head.fc(x), labels)
    torch.testing.assert_close(losses['loss_nkd'], expected)


def test_explicit_mapping_overrides_argument_by_argument():
    distiller = _build(
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='neck')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='neck')),
        distill_losses=dict(loss_rkd=dict(type='RKDAngleLoss')),
        loss_forward_mappings=dict(loss_rkd=dict(
            preds_S=dict(from_student=True, recorder='feat'),
            preds_T=dict(from_student=False, recorder='feat'))))
    assert distiller.loss_forward_mappings['loss_rkd'] == dict(
        preds_S=dict(from_student=True, recorder='feat'),
        preds_T=dict(from_student=False, recorder='feat'))


def test_a_recorder_field_overrides_the_default_recorder():
    # What --cfg-options model.distiller.student_recorders.logits.source=X
    # produces: the default's type stays, the teacher follows the student.
    distiller = _build(
        student_recorders=dict(logits=dict(source='head.layers.head')),
        distill_losses=dict(loss_kd=dict(type='KDLoss')))
    student = distiller.student_recorders.recorders['logits']
    teacher = distiller.teacher_recorders.recorders['logits']
    assert (type(student).__name__,
            student.source) == ('ModuleOutputsRecorder', 'head.layers.head')
    assert teacher.source == 'head.layers.head'


def test_optional_inputs_without_their_record_are_left_out():
    # USKD's preds_W defaults to the weak classifier's record; without a
    # 'middle' recorder and a 'weak' connector (Table 6 "target only") the
    # loss gets no preds_W.
    distiller = _build(distill_losses=dict(
        loss_uskd=dict(type='USKDLoss', non_target='none')))
    assert set(distiller.loss_forward_mappings['loss_uskd']) == {
        'preds_S', 'gt_labels'}


def test_required_input_without_a_record_is_refused():
    with pytest.raises(ValueError, match=r"\['preds_S', 'preds_T', "
                       r"'bn_weight', 'bn_bias'\] of loss_ofd \(OFDLoss\)"):
        _build(
            student_recorders=dict(logits=dict(source='head.fc')),
            distill_losses=dict(loss_ofd=dict(type='OFDLoss')),
            default_forward_mapping=dict(
                preds_S=dict(from_student=True, recorder='none'),
                preds_T=dict(from_student=False, recorder='none')))


def test_mapping_of_an_unknown_loss_is_refused():
    with pytest.raises(ValueError, match=r"\['loss_nkdd'\]"):
        _build(
            distill_losses=dict(loss_nkd=dict(type='NKDLoss')),
            loss_forward_mappings=dict(loss_nkdd=dict(
                preds_S=dict(from_student=True, recorder='logits'))))


def test_a_recorder_without_a_type_records_module_outputs():
    distiller = _build(
        student_recorders=dict(middle=dict(source='neck')),
        distill_losses=dict(loss_kd=dict(type='KDLoss')))
    middle = distiller.student_recorders.recorders['middle']
    assert (type(middle).__name__, middle.source) == ('ModuleOutputsRecorder',
                                                      'neck')


def test_an_input_the_loss_needs_must_have_a_record():
    # USKD with its non-target term needs the weak logits: without the
    # 'middle' recorder and 'weak' connector the distiller refuses to build
    # instead of failing at the first step.
    with pytest.raises(ValueError, match=r"\['preds_W'\] of loss_uskd"):
        _build(distill_losses=dict(loss_uskd=dict(type='USKDLoss')))
