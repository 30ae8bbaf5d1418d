"""The numeric helpers the losses share."""
import pytest
import torch

from mmcls_kd.models.losses.ops import (drop_classes, kl_rows, soften, square,
                                        target_index, target_slots)
from tests.models.losses import _reference as ref


def test_target_index_takes_the_first_largest_score():
    scores = torch.tensor([[0.2, 0.8, 0, 0], [0.5, 0, 0.5, 0], [0, 0, 0, 1.0]])
    assert target_index(scores).tolist() == [[1], [0], [3]]
    assert target_index(torch.tensor([2, 0, 1])).tolist() == [[2], [0], [1]]


def test_target_slots_of_scores_and_indices():
    scores = torch.tensor([[0.2, 0.8, 0, 0], [0.5, 0, 0.5, 0], [0, 0, 0, 1.0]],
                          dtype=torch.float64)
    slots = target_slots(scores, torch.float64)
    assert slots.index.tolist() == [[1, 0], [0, 2], [3, 3]]
    assert slots.value.tolist() == [[0.8, 0.2], [0.5, 0.5], [1.0, 0.0]]
    assert slots.valid.tolist() == [[True, True], [True, True], [True, False]]
    slots = target_slots(torch.tensor([2, 0]), torch.float32)
    assert slots.index.tolist() == [[2, 2], [0, 0]]
    assert slots.value.tolist() == [[1.0, 0.0], [1.0, 0.0]]
    assert slots.valid.tolist() == [[True, False], [True, False]]


def test_soften_fixed_and_normalised():
    values = ref.logits(3, 6, seed=0)
    scaled, temperature = soften(values, 4.0, 2.0)
    torch.testing.assert_close(scaled, values / 4)
    assert temperature == 4.0 and square(temperature) == 16.0
    scaled, temperature = soften(values, 'norm', 1.5)
    for row, temp in zip(values.tolist(), temperature.squeeze(1).tolist()):
        assert temp == pytest.approx(1.5 * ref.std(row), rel=1e-12)
    # Centred rows: the same softmax as values / T.
    torch.testing.assert_close(
        scaled.softmax(1), (values / temperature).softmax(1))
    torch.testing.assert_close(square(temperature), temperature[:, 0]**2)


def test_kl_rows_ignores_dropped_classes():
    student = ref.logits(2, 5, seed=1)
    teacher = ref.logits(2, 5, seed=2)
    index = torch.tensor([[1], [4]])
    kl = kl_rows(
        drop_classes(student, index).log_softmax(1),
        drop_classes(teacher, index).log_softmax(1))
    for n, t in enumerate([1, 4]):
        others = [k for k in range(5) if k != t]
        expected = ref.kl(
            ref.softmax([teacher[n, k].item() for k in others]),
            ref.log_softmax([student[n, k].item() for k in others]))
        assert kl[n].item() == pytest.approx(expected, rel=1e-12)


def test_soften_zscore_standardises_each_row():
    values = ref.logits(
        3, 6, seed=3) * torch.tensor([[0.1], [1.0], [50.0]],
                                     dtype=torch.float64)
    scaled, factor = soften(values, 'zscore', 2.0)
    # One factor for every sample: the base temperature.
    assert factor == 2.0 and square(factor) == 4.0
    for row, got in zip(values.tolist(), scaled.tolist()):
        assert got == pytest.approx(ref.zscore(row, 2.0), rel=1e-12)
    # Mean 0 and standard deviation 1 / base, whatever the row's scale.
    assert scaled.mean(1).abs().max() < 1e-12
    assert scaled.std(1).tolist() == pytest.approx([0.5] * 3, rel=1e-6)
    # A row of equal logits: zeros, the uniform distribution.
    flat, _ = soften(torch.full((1, 4), 3.0), 'zscore', 2.0)
    assert flat.tolist() == [[0.0] * 4]
