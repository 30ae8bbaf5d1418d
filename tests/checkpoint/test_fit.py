"""One report of the keys that do not fit a model: missing, unexpected and
mis-shaped keys in one error, with the shapes; nothing loaded unless every
key fits."""
import pickle

import pytest
import torch
from torch import nn

from mmcls_kd.checkpoint.fit import (FitReport, StateDictMismatchError,
                                     fit_report, fit_state_dict,
                                     load_checkpoint, load_state_dict_strict)


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 4))


def _state_that_does_not_fit():
    state = _model().state_dict()
    del state['0.bias']
    state['1.weight'] = torch.zeros(5, 3)
    state['2.weight'] = torch.zeros(1)
    return state


def test_report_names_missing_unexpected_and_mis_shaped_keys():
    report = fit_report(_model().state_dict(), _state_that_does_not_fit())
    assert report == FitReport(
        missing=('0.bias', ),
        unexpected=('2.weight', ),
        mis_shaped=(('1.weight', (5, 3), (4, 3)), ))
    assert not report.fits
    assert str(report) == ('1 missing (0.bias); 1 unexpected (2.weight); '
                           '1 of another shape (1.weight: found (5, 3), '
                           'expected (4, 3))')
    assert fit_report(_model().state_dict(), _model().state_dict()).fits


def test_one_error_names_all_three_and_nothing_is_loaded():
    model = _model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    state = _state_that_does_not_fit()
    state['0.weight'] = torch.ones(3, 2)
    with pytest.raises(StateDictMismatchError) as err:
        load_state_dict_strict(
            model,
            state,
            source='ckpt.pth',
            target='the toy',
            hint='Check the toy')
    assert str(err.value) == (
        'ckpt.pth does not fit the toy: 1 missing (0.bias); 1 unexpected '
        '(2.weight); 1 of another shape (1.weight: found (5, 3), expected '
        '(4, 3)). Check the toy')
    assert err.value.report.missing == ('0.bias', )
    assert all(
        torch.equal(v, before[k]) for k, v in model.state_dict().items())
    # Survives a trip to another process (a data-loader worker, a rank).
    copied = pickle.loads(pickle.dumps(err.value))
    assert str(copied) == str(err.value) and copied.report == err.value.report


def test_long_lists_are_cut_after_five_keys():
    expected = {f'layer{i}.weight': torch.zeros(1) for i in range(8)}
    with pytest.raises(
            ValueError,
            match=r'^the state dict does not fit the '
            r'model: 8 missing \(layer0\.weight, layer1\.weight, '
            r'layer2\.weight, layer3\.weight, layer4\.weight, '
            r'\.\.\. 3 more\)$'):
        fit_state_dict(expected, {})


def test_a_fitting_state_dict_comes_in_the_models_order():
    expected = _model().state_dict()
    state = dict(reversed(list(_model().state_dict().items())))
    assert list(fit_state_dict(expected, state)) == list(expected)


def test_load_checkpoint_loads_and_gives_the_meta(tmp_path):
    source = _model()
    with torch.no_grad():
        source[1].bias.fill_(0.5)
    path = str(tmp_path / 'ckpt.pth')
    torch.save({'meta': {'epoch': 2}, 'state_dict': source.state_dict()}, path)
    model = _model()
    assert load_checkpoint(model, path) == {'epoch': 2}
    assert torch.equal(model[1].bias, torch.full((4, ), 0.5))


def test_a_distillation_checkpoint_is_refused_with_the_command(tmp_path):
    path = str(tmp_path / 'epoch_9.pth')
    state = {f'architecture.{k}': v for k, v in _model().state_dict().items()}
    torch.save({'state_dict': state}, path)
    with pytest.raises(ValueError, match='convert it first') as err:
        load_checkpoint(_model(), path)
    assert ('python tools/model_converters/extract_student.py '
            f'{path} STUDENT.pth') in str(err.value)
    algorithm = nn.Module()
    algorithm.architecture = _model()
    load_checkpoint(algorithm, path)
    assert torch.equal(algorithm.architecture[0].weight,
                       state['architecture.0.weight'])
