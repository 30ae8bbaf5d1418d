"""LossScaler: GradScaler's scale arithmetic on gradient sets it is
handed, against the rule written out here."""
import pytest
import torch

from mmcls_kd.engine.loss_scale import LossScaler


def test_dynamic_scale_backs_off_and_grows_as_gradscaler():
    scaler = LossScaler(dict(init_scale=8.0, growth_interval=3))
    # Non-finite: x0.5 and the count restarts; 3 finite in a row: x2.
    steps = [True, False, False, True, False, False, False, False]
    expected = [4.0, 4.0, 4.0, 2.0, 2.0, 2.0, 4.0, 4.0]
    scales = []
    for found_inf in steps:
        scaler.update(found_inf)
        scales.append(scaler.scale)
    assert scales == expected
    assert scaler.state_dict() == dict(
        scale=4.0, growth_factor=2.0, backoff_factor=0.5, growth_interval=3,
        _growth_tracker=1)


def test_static_scale_stays_and_dynamic_defaults_are_gradscalers():
    static = LossScaler(512.0)
    static.update(True)
    static.update(False)
    assert static.scale == 512.0
    defaults = torch.amp.GradScaler('cpu').state_dict()
    assert LossScaler('dynamic').state_dict() == defaults


def test_unscale_divides_every_set_and_finds_a_non_finite_one():
    scaler = LossScaler(dict(init_scale=4.0))
    grads = [torch.tensor([4.0, 8.0]),
             torch.tensor([2.0], dtype=torch.float64)]
    assert scaler.unscale_(grads) is False
    assert grads[0].tolist() == [1.0, 2.0] and grads[1].tolist() == [0.5]
    assert scaler.unscale_([torch.tensor([1.0, float('nan')])]) is True


@pytest.mark.parametrize('loss_scale, message', [
    (dict(init_scale=8.0, enabled=False), r"got \['enabled'\]"),
    (0.0, 'the scale must be > 0, got 0.0'),
    ('static', "must be 'dynamic', a number or a dict"),
])
def test_bad_loss_scale_is_named(loss_scale, message):
    with pytest.raises(ValueError, match=message):
        LossScaler(loss_scale)
