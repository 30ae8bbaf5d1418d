"""The feature methods' wiring: what the snapshot of the configs cannot show
(the snapshot test pins every config built with it)."""
import pytest

from mmcls_kd.models.distillers.wiring import (module_inputs, module_outputs,
                                               ofd)


def test_ofd_halves_each_earlier_stage_and_maps_the_picked_call():
    wiring = ofd(
        student=[module_outputs('backbone.layer2'),
                 module_inputs('backbone.layer3.0.relu', call=1)],
        teacher=[module_inputs('backbone.layer1.2.relu', call=2)] * 2,
        teacher_bns=['backbone.layer1.2.bn3', 'backbone.layer2.3.bn3'],
        student_channels=[12, 16],
        teacher_channels=[256, 512],
        loss_weight=1e-3)
    assert [loss['loss_weight']
            for loss in wiring['distill_losses'].values()] == [5e-4, 1e-3]
    mapping = wiring['loss_forward_mappings']
    # A module's output needs no index; an input names its call.
    assert mapping['loss_ofd1']['preds_S'] == dict(
        from_student=True, recorder='s1', connector='ofd1')
    assert mapping['loss_ofd2']['preds_S'] == dict(
        from_student=True,
        recorder='s2',
        record_idx=1,
        data_idx=0,
        connector='ofd2')
    assert wiring['student_recorders']['s2'] == dict(
        type='ModuleInputs', source='backbone.layer3.0.relu')
    assert wiring['teacher_recorders']['bn2_b'] == dict(
        type='Parameter', source='backbone.layer2.3.bn3.bias')


def test_ofd_refuses_stage_lists_of_different_lengths():
    with pytest.raises(ValueError, match='2 student features, 1 teacher'):
        ofd(student=[module_outputs('a'), module_outputs('b')],
            teacher=[module_outputs('c')],
            teacher_bns=['d'],
            student_channels=[1],
            teacher_channels=[1],
            loss_weight=1.0)
