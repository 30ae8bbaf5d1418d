"""The feature methods' wiring: what the snapshot of the configs cannot show
(the snapshot test pins every config built with it)."""
import pytest

from mmcls_kd.models.distillers.wiring import (at, cc, fitnet, mlkd,
                                               module_inputs, module_outputs,
                                               ofd, pkt, vid)
from mmcls_kd.registry import MODELS


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


def test_stagewise_methods_name_a_recorder_and_a_loss_per_stage():
    stages = [module_outputs(f'backbone.layer{i}') for i in (1, 2)]
    wiring = vid(stages, stages, [16, 32], [32, 64], loss_weight=1.0)
    assert sorted(wiring['student_recorders']) == ['stage1', 'stage2']
    assert wiring['teacher_recorders']['stage2'] == dict(
        type='ModuleOutputs', source='backbone.layer2')
    assert wiring['connectors']['vid2'] == dict(
        type='VIDRegressor', in_channels=32, out_channels=64)
    assert wiring['loss_forward_mappings']['loss_vid2'] == dict(
        preds_S=dict(from_student=True, recorder='stage2', connector='vid2'),
        preds_T=dict(from_student=False, recorder='stage2'))
    assert sorted(at(stages, stages, 1000.0)['distill_losses']) == [
        'loss_at1', 'loss_at2']
    with pytest.raises(ValueError, match='2 student features, 1 teacher'):
        at(stages, stages[:1], 1000.0)


def test_single_feature_methods_and_the_pooled_features():
    hint = fitnet(module_inputs('backbone.layer2.1.relu', call=1),
                  module_outputs('backbone.layer2'), 32, 64, 100.0,
                  student_size=8, teacher_size=4)
    assert hint['connectors']['fitnet'] == dict(
        type='FitNetRegressor', in_channels=32, out_channels=64,
        student_size=8, teacher_size=4)
    assert hint['loss_forward_mappings']['loss_fitnet']['preds_S'] == dict(
        from_student=True, recorder='feat', record_idx=1, data_idx=0,
        connector='fitnet')
    # CC: the pooled feature (the neck's first output), embedded on both
    # sides; PKT: the same records, no connector.
    mapping = cc(128, 256, 0.02)['loss_forward_mappings']['loss_cc']
    assert mapping['preds_T'] == dict(from_student=False, recorder='feat',
                                      data_idx=0, connector='cc_teacher')
    assert pkt(3e4)['student_recorders'] == dict(
        feat=dict(type='ModuleOutputs', source='neck'))


def test_mlkd_puts_the_base_temperature_first_on_both_views():
    loss = MODELS.build(mlkd(tau=1.0, loss_weight=0.5)['distill_losses']
                        ['loss_mlkd'])
    assert tuple(loss.taus) == (1.0, 3.0, 5.0, 2.0, 6.0)
    assert tuple(loss.strong_taus) == (1.0, 3.0, 5.0)
    assert tuple(loss.repeat_weak_taus) == (2.0, 6.0)
    assert loss.loss_weight == 0.5
