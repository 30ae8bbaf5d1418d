"""The input checks of the loss modules."""
import pytest
import torch

from mmcls_kd.models.losses.checks import (check_labels, check_option,
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
    with pytest.raises(ValueError, match='tau must be positive'):
        check_tau('Owner', 0.0, 1.0)
    with pytest.raises(ValueError, match='t_norm must be positive'):
        check_tau('Owner', 'norm', -1.0)


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
