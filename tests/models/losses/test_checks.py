"""The input checks of the loss modules, and the hyper-parameter checks of
every registered loss."""
import inspect
import math
import re
import typing

import numpy as np
import pytest
import torch

from mmcls_kd.models import losses
from mmcls_kd.models.losses.checks import (check_count,
                                           check_feature_lists, check_labels,
                                           check_option, check_range,
                                           check_tau, check_teacher, shape_of)


def test_check_teacher_names_both_class_counts():
    with pytest.raises(
            ValueError,
            match=r'Owner: the student predicts 10 '
            r'classes and the teacher 1000 \(preds_S \(2, 10\), '
            r'preds_T \(2, 1000\)\)'):
        check_teacher('Owner', torch.zeros(2, 10), torch.zeros(2, 1000))
    check_teacher('Owner', torch.zeros(2, 10), torch.zeros(2, 10))


def test_check_tau():
    check_tau('Owner', 2.0, 1.0)
    check_tau('Owner', 'norm', 1.0)
    check_tau('Owner', 'zscore', 2.0)
    with pytest.raises(ValueError, match='tau must be > 0, got 0.0'):
        check_tau('Owner', 0.0, 1.0)
    with pytest.raises(ValueError, match='t_norm must be > 0, got -1.0'):
        check_tau('Owner', 'norm', -1.0)
    # t_norm is checked also when a fixed tau leaves it unused.
    with pytest.raises(ValueError, match='t_norm must be > 0, got 0'):
        check_tau('Owner', 4.0, 0)
    with pytest.raises(ValueError) as error:
        check_tau('Owner', 'auto', 1.0)
    assert str(error.value) == ("Owner: tau must be a number > 0 or one of "
                                "'norm', 'zscore', got 'auto'")
    with pytest.raises(ValueError, match='t_norm must be > 0, got 0.0'):
        check_tau('Owner', 'zscore', 0.0)


def test_check_labels_tells_soft_from_hard():
    preds = torch.zeros(2, 3)
    assert not check_labels('Owner', torch.tensor([0, 2]), preds)
    assert check_labels('Owner', torch.tensor([[0.3, 0.7, 0], [0, 0, 1.0]]),
                        preds)
    with pytest.raises(
            ValueError,
            match=r'^Owner: gt_labels must be class '
            r'indices in \[0, 3\)'):
        check_labels('Owner', torch.tensor([0, 3]), preds)


def test_check_option_lists_the_choices():
    check_option('Owner', 'mode', 'a', ('a', 'b'))
    with pytest.raises(ValueError) as error:
        check_option('Owner', 'mode', 'c', ('a', 'b'))
    assert str(error.value) == "Owner: mode must be one of 'a', 'b', got 'c'"


def test_shape_of_tensors_sequences_and_others():
    assert shape_of(torch.zeros(2, 3)) == (2, 3)
    assert shape_of([torch.zeros(1), (torch.zeros(2,
                                                  2), None)]) == [(1, ),
                                                                  [(2, 2),
                                                                   'NoneType']]


UNIT = dict(low=0, high=1)
OPEN_UNIT = dict(UNIT, low_open=True, high_open=True)


@pytest.mark.parametrize('bounds, value, message', [
    (dict(low=0), -1.5, 'must be >= 0, got -1.5'),
    (dict(low=0, low_open=True), 0, 'must be > 0, got 0'),
    (UNIT, 1.5, 'must be in [0, 1], got 1.5'),
    (OPEN_UNIT, 1.0, 'must be in (0, 1), got 1.0'),
    (dict(UNIT, high_open=True), 1, 'must be in [0, 1), got 1'),
    (dict(low=0), math.nan, 'must be a finite number >= 0, got nan'),
    (dict(low=0), math.inf, 'must be a finite number >= 0, got inf'),
    (UNIT, -math.inf, 'must be a finite number in [0, 1], got -inf'),
    (dict(low=0), True, 'must be a finite number >= 0, got True'),
    (dict(low=0), '0.5', "must be a finite number >= 0, got '0.5'"),
    (dict(low=0), None, 'must be a finite number >= 0, got None'),
    (dict(low=0), np.float64(-2.0), 'must be >= 0, got -2.0'),
])
def test_check_range_names_value_and_range(bounds, value, message):
    with pytest.raises(ValueError) as error:
        check_range('Owner', 'weight', value, **bounds)
    assert str(error.value) == f'Owner: weight {message}'


def test_check_range_returns_a_float_at_the_bounds():
    assert check_range('Owner', 'weight', 0, low=0) == 0.0
    assert type(check_range('Owner', 'weight', 0, low=0)) is float
    assert check_range('Owner', 'p', 1, **UNIT) == 1.0
    assert check_range('Owner', 'p', np.float32(0.25), **UNIT) == 0.25
    assert check_range('Owner', 't', 1e-12, low=0, low_open=True) == 1e-12


def test_check_count():
    assert check_count('Owner', 'size', 0, 0) == 0
    assert check_count('Owner', 'size', np.int64(3), 1) == 3
    for value, shown in ((0, '0'), (2.0, '2.0'), (True, 'True'), ('3', "'3'"),
                         (math.nan, 'nan')):
        with pytest.raises(ValueError) as error:
            check_count('Owner', 'size', value, 1)
        assert str(error.value) == \
            f'Owner: size must be an integer >= 1, got {shown}'


def test_check_feature_lists_names_the_lists_and_the_pair():
    maps = [torch.zeros(2, 3, 4, 4), torch.zeros(2, 5, 2, 2)]
    check_feature_lists('Owner', maps, tuple(maps))
    with pytest.raises(ValueError) as error:
        check_feature_lists('Owner', maps, maps[:1])
    assert str(error.value) == (
        'Owner: expected two lists of at least 2 features of one length, '
        'got student [(2, 3, 4, 4), (2, 5, 2, 2)] and teacher '
        '[(2, 3, 4, 4)]')
    with pytest.raises(ValueError, match='at least 3 features'):
        check_feature_lists('Owner', maps, maps, least=3)
    wide = [maps[0], torch.zeros(2, 6, 2, 2)]
    with pytest.raises(ValueError) as error:
        check_feature_lists('Owner', maps, wide)
    assert str(error.value) == (
        'Owner: student feature 1 (2, 5, 2, 2) must have the (N, C) of '
        'teacher feature 1 (2, 6, 2, 2); all features: student '
        '[(2, 3, 4, 4), (2, 5, 2, 2)], teacher [(2, 3, 4, 4), (2, 6, 2, 2)]')
    with pytest.raises(ValueError, match='student feature 0 '):
        check_feature_lists('Owner', [torch.zeros(2, 3)], [torch.zeros(2, 3)],
                            least=1)


# Every registered loss refuses hyper-parameters outside the method's range
# when it is built, with one error naming the argument and the value.

LOSSES = sorted(name for name in losses.__all__ if name.endswith('Loss'))
# Arguments a loss cannot be built without.
REQUIRED = {'CRDLoss': dict(num_samples=8)}

# (loss, argument, bad value, error after "<loss>: ").
BAD_VALUES = [
    ('ABLoss', 'margin', -1.0, 'margin must be >= 0, got -1.0'),
    ('ABLoss', 'loss_weight', -1.0, 'loss_weight must be >= 0, got -1.0'),
    ('FSPLoss', 'loss_weight', -1.0, 'loss_weight must be >= 0, got -1.0'),
    ('FTLoss', 'loss_weight', -1.0, 'loss_weight must be >= 0, got -1.0'),
    ('KDSVDLoss', 'k', 0, 'k must be an integer >= 1, got 0'),
    ('KDSVDLoss', 'loss_weight', -1.0, 'loss_weight must be >= 0, got -1.0'),
    ('NSTLoss', 'loss_weight', -1.0, 'loss_weight must be >= 0, got -1.0'),
    ('ATLoss', 'p', 0.0, 'p must be > 0, got 0.0'),
    ('ATLoss', 'loss_weight', -1000.0, 'loss_weight must be >= 0, '
     'got -1000.0'),
    ('CCLoss', 'gamma', 0.0, 'gamma must be > 0, got 0.0'),
    ('CCLoss', 'order', -1, 'order must be an integer >= 0, got -1'),
    ('CCLoss', 'loss_weight', -0.02, 'loss_weight must be >= 0, got -0.02'),
    ('CRDLoss', 'num_samples', 0, 'num_samples must be an integer >= 1, '
     'got 0'),
    ('CRDLoss', 'num_negatives', 0, 'num_negatives must be an integer >= 1, '
     'got 0'),
    ('CRDLoss', 'embed_dim', 12.0, 'embed_dim must be an integer >= 1, '
     'got 12.0'),
    ('CRDLoss', 'tau', 0.0, 'tau must be > 0, got 0.0'),
    ('CRDLoss', 'momentum', 1.0, 'momentum must be in [0, 1), got 1.0'),
    ('CRDLoss', 'eps', -1e-7, 'eps must be >= 0, got -1e-07'),
    ('CRDLoss', 'loss_weight', -0.8, 'loss_weight must be >= 0, got -0.8'),
    ('CTKDLoss', 'loss_weight', -0.9, 'loss_weight must be >= 0, got -0.9'),
    ('DISTLoss', 'tau', 0.0, 'tau must be > 0, got 0.0'),
    ('DISTLoss', 'beta', -1.0, 'beta must be >= 0, got -1.0'),
    ('DISTLoss', 'gamma', -1.0, 'gamma must be >= 0, got -1.0'),
    ('DISTLoss', 'loss_weight', -2.0, 'loss_weight must be >= 0, got -2.0'),
    ('DKDLoss', 'tau', -4.0, 'tau must be > 0, got -4.0'),
    ('DKDLoss', 'alpha', -1.0, 'alpha must be >= 0, got -1.0'),
    ('DKDLoss', 'beta', -8.0, 'beta must be >= 0, got -8.0'),
    ('DKDLoss', 'warmup_epochs', -1, 'warmup_epochs must be an integer >= 0, '
     'got -1'),
    ('DKDLoss', 'warmup_first_epoch', 2, 'warmup_first_epoch must be 0 or 1, '
     'got 2'),
    ('DKDLoss', 't_norm', 0.0, 't_norm must be > 0, got 0.0'),
    ('DKDLoss', 'loss_weight', -1.0, 'loss_weight must be >= 0, got -1.0'),
    ('FitNetLoss', 'loss_weight', -100.0, 'loss_weight must be >= 0, '
     'got -100.0'),
    ('HCLLoss', 'levels', (4, 0, 1), 'levels[1] must be an integer >= 1, '
     'got 0'),
    ('HCLLoss', 'warmup_epochs', 2.5, 'warmup_epochs must be an integer >= 0, '
     'got 2.5'),
    ('HCLLoss', 'warmup_first_epoch', -1, 'warmup_first_epoch must be 0 or '
     '1, got -1'),
    ('HCLLoss', 'loss_weight', -1.0, 'loss_weight must be >= 0, got -1.0'),
    ('KDLoss', 'tau', 0, 'tau must be > 0, got 0'),
    ('KDLoss', 't_norm', -2.0, 't_norm must be > 0, got -2.0'),
    ('KDLoss', 'loss_weight', -0.9, 'loss_weight must be >= 0, got -0.9'),
    ('MLKDLoss', 'taus', (4.0, 0.0), 'taus[1] must be > 0, got 0.0'),
    ('MLKDLoss', 'strong_taus', (-1.0, ), 'strong_taus[0] must be > 0, got '
     '-1.0'),
    ('MLKDLoss', 'repeat_weak_taus', (0.0, ), 'repeat_weak_taus[0] must be '
     '> 0, got 0.0'),
    ('MLKDLoss', 'loss_weight', -1.0, 'loss_weight must be >= 0, got -1.0'),
    ('NKDLoss', 'tau', -1.0, 'tau must be > 0, got -1.0'),
    ('NKDLoss', 'gamma', -1.5, 'gamma must be >= 0, got -1.5'),
    ('NKDLoss', 't_norm', 0.0, 't_norm must be > 0, got 0.0'),
    ('NKDLoss', 'loss_weight', -1.0, 'loss_weight must be >= 0, got -1.0'),
    ('NormKDLoss', 't_norm', -1.0, 't_norm must be > 0, got -1.0'),
    ('NormKDLoss', 'loss_weight', -0.9, 'loss_weight must be >= 0, got -0.9'),
    ('OFDLoss', 'loss_weight', -1e-3, 'loss_weight must be >= 0, got -0.001'),
    ('PKTLoss', 'eps', 0.0, 'eps must be > 0, got 0.0'),
    ('PKTLoss', 'loss_weight', -30000.0, 'loss_weight must be >= 0, '
     'got -30000.0'),
    ('RKDAngleLoss', 'loss_weight', -50.0, 'loss_weight must be >= 0, '
     'got -50.0'),
    ('SPLoss', 'loss_weight', -3000.0, 'loss_weight must be >= 0, '
     'got -3000.0'),
    ('TfKDRegLoss', 'tau', 0.0, 'tau must be > 0, got 0.0'),
    ('TfKDRegLoss', 'correct_prob', 1.0, 'correct_prob must be in (0, 1), '
     'got 1.0'),
    ('TfKDRegLoss', 'alpha', 1.5, 'alpha must be in [0, 1], got 1.5'),
    ('TfKDRegLoss', 'multiplier', -100.0, 'multiplier must be >= 0, '
     'got -100.0'),
    ('TfKDRegLoss', 'loss_weight', -1.0, 'loss_weight must be >= 0, '
     'got -1.0'),
    ('USKDLoss', 'alpha', -0.1, 'alpha must be >= 0, got -0.1'),
    ('USKDLoss', 'beta', -0.1, 'beta must be >= 0, got -0.1'),
    ('USKDLoss', 'mu', -0.005, 'mu must be >= 0, got -0.005'),
    ('USKDLoss', 'zipf_exponent', -1.0, 'zipf_exponent must be >= 0, '
     'got -1.0'),
    ('USKDLoss', 'label_smoothing', 1.5, 'label_smoothing must be in [0, 1], '
     'got 1.5'),
    ('USKDLoss', 'loss_weight', -1.0, 'loss_weight must be >= 0, got -1.0'),
    ('VIDLoss', 'loss_weight', -1.0, 'loss_weight must be >= 0, got -1.0'),
    ('WSLDLoss', 'tau', -4.0, 'tau must be > 0, got -4.0'),
    ('WSLDLoss', 'alpha', -2.25, 'alpha must be >= 0, got -2.25'),
    ('WSLDLoss', 't_norm', 0.0, 't_norm must be > 0, got 0.0'),
    ('WSLDLoss', 'loss_weight', -1.0, 'loss_weight must be >= 0, got -1.0'),
    ('WTTMLoss', 'tau', 0.0, 'tau must be > 0, got 0.0'),
    ('WTTMLoss', 'loss_weight', -4.0, 'loss_weight must be >= 0, got -4.0'),
    ('ZipfLSLoss', 'power', -1.0, 'power must be >= 0, got -1.0'),
    ('ZipfLSLoss', 'upsample_factor', 0.0, 'upsample_factor must be > 0, '
     'got 0.0'),
    ('ZipfLSLoss', 'loss_weight', -0.1, 'loss_weight must be >= 0, '
     'got -0.1'),
]

# Values at the edge of each range that configs or ablations use.
BOUNDARY_VALUES = [
    ('ABLoss', dict(margin=0.0, loss_weight=0.0)),
    ('FSPLoss', dict(loss_weight=0.0)),
    ('FTLoss', dict(loss_weight=0.0)),
    ('KDSVDLoss', dict(k=1, loss_weight=0.0)),
    ('NSTLoss', dict(loss_weight=0.0)),
    ('ATLoss', dict(p=2.0, loss_weight=0.0)),
    ('CCLoss', dict(mode='taylor_rbf', gamma=0.4, order=0, loss_weight=0.0)),
    ('CRDLoss',
     dict(num_samples=1,
          num_negatives=1,
          embed_dim=1,
          tau=0.07,
          momentum=0.0,
          eps=0.0,
          loss_weight=0.0)),
    ('CTKDLoss', dict(loss_weight=0.0)),
    ('DISTLoss', dict(tau=4.0, beta=0.0, gamma=0.0, loss_weight=0.0)),
    ('DKDLoss',
     dict(tau=4.0,
          alpha=0.0,
          beta=8.0,
          warmup_epochs=0,
          warmup_first_epoch=0,
          t_norm=1.0,
          loss_weight=0.0)),
    ('FitNetLoss', dict(loss_weight=0.0)),
    ('HCLLoss',
     dict(levels=(1, ),
          warmup_epochs=20,
          warmup_first_epoch=0,
          loss_weight=0.0)),
    ('KDLoss', dict(tau='norm', t_norm=2.0, loss_weight=0.0)),
    ('KDLoss', dict(tau='zscore', t_norm=2.0)),
    ('NKDLoss', dict(tau=3.0, gamma=0.0, loss_weight=0.0)),
    ('NormKDLoss', dict(t_norm=1.5, loss_weight=0.0)),
    ('OFDLoss', dict(loss_weight=0.0)),
    ('PKTLoss', dict(eps=1e-7, loss_weight=0.0)),
    ('RKDAngleLoss', dict(loss_weight=0.0)),
    ('SPLoss', dict(loss_weight=0.0)),
    ('TfKDRegLoss',
     dict(tau=20.0,
          correct_prob=0.99,
          alpha=1.0,
          multiplier=0.0,
          loss_weight=0.0)),
    ('TfKDRegLoss', dict(alpha=0.0, multiplier=100.0)),
    ('USKDLoss',
     dict(alpha=0.0,
          beta=0.0,
          mu=0.005,
          zipf_exponent=0.0,
          label_smoothing=0.0,
          loss_weight=0.0)),
    ('USKDLoss', dict(label_smoothing=1.0)),
    ('VIDLoss', dict(loss_weight=0.0)),
    ('WSLDLoss', dict(tau=2.0, alpha=0.0, loss_weight=0.0)),
    ('WSLDLoss', dict(tau='zscore', t_norm=2.0)),
    ('WTTMLoss', dict(tau=5.0, loss_weight=0.0)),
    ('MLKDLoss', dict(strong_taus=(), repeat_weak_taus=(), loss_weight=0.0)),
    ('ZipfLSLoss', dict(power=0.0, upsample_factor=2.0, loss_weight=0.0)),
]


def _build(name, **kwargs):
    return getattr(losses, name)(**{**REQUIRED.get(name, {}), **kwargs})


def _numeric_arguments(name):
    """The constructor arguments annotated with int or float (alone, in a
    Union/Optional or as the items of a Sequence)."""
    numeric = {int, float}
    parameters = inspect.signature(getattr(losses, name)).parameters
    return {
        arg
        for arg, param in parameters.items()
        if numeric & {param.annotation, *typing.get_args(param.annotation)}
    }


@pytest.mark.parametrize('name', LOSSES)
def test_every_numeric_argument_has_a_bad_value_case(name):
    cases = {arg for loss, arg, _, _ in BAD_VALUES if loss == name}
    assert cases == _numeric_arguments(name)
    assert name in {loss for loss, _ in BOUNDARY_VALUES}


@pytest.mark.parametrize('name, arg, value, message', BAD_VALUES)
def test_bad_hyper_parameter_is_named(name, arg, value, message):
    with pytest.raises(ValueError) as error:
        _build(name, **{arg: value})
    assert str(error.value) == f'{name}: {message}'


RANGED = [(name, arg, re.match(rf'{arg} must be ((?:>|in ).*), got',
                               message).group(1))
          for name, arg, _, message in BAD_VALUES
          if re.match(rf'{arg} must be (>|in )', message)]


@pytest.mark.parametrize('value', [math.nan, math.inf])
@pytest.mark.parametrize('name, arg, allowed', RANGED)
def test_non_finite_hyper_parameter_is_named(name, arg, allowed, value):
    with pytest.raises(ValueError) as error:
        _build(name, **{arg: value})
    assert str(error.value) == \
        f'{name}: {arg} must be a finite number {allowed}, got {value}'


@pytest.mark.parametrize('name, kwargs', BOUNDARY_VALUES)
def test_boundary_hyper_parameters_build(name, kwargs):
    loss = _build(name, **kwargs)
    for arg, value in kwargs.items():
        if hasattr(loss, arg):
            assert getattr(loss, arg) == value


def test_value_checks_can_be_switched_off_for_benchmarks():
    from mmcls_kd.models.losses.checks import no_value_checks
    preds = torch.zeros(2, 3)
    out_of_range = torch.tensor([0, 3])
    with pytest.raises(ValueError, match=r'class indices in \[0, 3\)'):
        check_labels('KDLoss', out_of_range, preds)
    with no_value_checks():
        assert check_labels('KDLoss', out_of_range, preds) is False
        # Shapes and dtypes are still checked: they cost nothing.
        with pytest.raises(ValueError, match='must have the shape'):
            check_labels('KDLoss', torch.tensor([0, 1, 2]), preds)
    with pytest.raises(ValueError, match=r'class indices in \[0, 3\)'):
        check_labels('KDLoss', out_of_range, preds)
