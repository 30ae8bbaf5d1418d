"""The helpers the baseline losses share."""
import pytest
import torch

from mmcls_kd.models.losses._common import (check_tau, check_teacher,
                                            kl_rows, soften, square,
                                            target_index)
from mmcls_kd.models.losses._utils import drop_classes
from tests.models.losses import _reference as ref


def test_check_teacher_names_both_class_counts():
    with pytest.raises(ValueError, match=r'Owner: the student predicts 10 '
                       r'classes and the teacher 1000 \(preds_S \(2, 10\), '
                       r'preds_T \(2, 1000\)\)'):
        check_teacher('Owner', torch.zeros(2, 10), torch.zeros(2, 1000))
    check_teacher('Owner', torch.zeros(2, 10), torch.zeros(2, 10))


def test_target_index_takes_the_first_largest_score():
    preds = torch.zeros(3, 4)
    scores = torch.tensor([[0.2, 0.8, 0, 0], [0.5, 0, 0.5, 0],
                           [0, 0, 0, 1.0]])
    assert target_index('Owner', scores, preds).tolist() == [[1], [0], [3]]
    assert target_index('Owner', torch.tensor([2, 0, 1]),
                        preds).tolist() == [[2], [0], [1]]


def test_soften_fixed_and_normalised():
    values = ref.logits(3, 6, seed=0)
    scaled, temperature = soften(values, 4.0, 2.0)
    torch.testing.assert_close(scaled, values / 4)
    assert temperature == 4.0 and square(temperature) == 16.0
    scaled, temperature = soften(values, 'norm', 1.5)
    for row, temp in zip(values.tolist(), temperature.squeeze(1).tolist()):
        assert temp == pytest.approx(1.5 * ref.std(row), rel=1e-12)
    # Centred rows: the same softmax as values / T.
    torch.testing.assert_close(scaled.softmax(1),
                               (values / temperature).softmax(1))
    torch.testing.assert_close(square(temperature), temperature[:, 0]**2)


def test_kl_rows_ignores_dropped_classes():
    student = ref.logits(2, 5, seed=1)
    teacher = ref.logits(2, 5, seed=2)
    index = torch.tensor([[1], [4]])
    kl = kl_rows(drop_classes(student, index).log_softmax(1),
                 drop_classes(teacher, index).log_softmax(1))
    for n, t in enumerate([1, 4]):
        others = [k for k in range(5) if k != t]
        expected = ref.kl(
            ref.softmax([teacher[n, k].item() for k in others]),
            ref.log_softmax([student[n, k].item() for k in others]))
        assert kl[n].item() == pytest.approx(expected, rel=1e-12)


def test_check_tau():
    check_tau('Owner', 2.0, 1.0)
    check_tau('Owner', 'norm', 1.0)
    with pytest.raises(ValueError, match='tau must be positive'):
        check_tau('Owner', 0.0, 1.0)
    with pytest.raises(ValueError, match='t_norm must be positive'):
        check_tau('Owner', 'norm', -1.0)
