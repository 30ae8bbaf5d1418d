"""uskd_soft_labels against the float64 reference of ``_uskd_reference``:
P_t of each target slot (Eq. 6 and Table 8) and N(Z) over the non-target
classes (Eqs. 10-12)."""
import pytest
import torch

from mmcls_kd.models.losses import USKDSoftLabels, uskd_soft_labels
from tests.models.losses._uskd_reference import (reference_detached,
                                                 sample_inputs, target_slots)


@pytest.mark.parametrize('labels', ['hard', 'mixed'])
@pytest.mark.parametrize('cfg', [
    dict(),
    dict(target='sqrt', rank='final', rank_space='log_prob'),
    dict(target='mean', rank='sum', zipf_exponent=0.5),
    dict(target='none', rank='weak')
])
def test_matches_the_reference_per_sample(labels, cfg):
    preds_S, preds_W, gt_labels = sample_inputs(8, 20, 40, labels)
    soft = uskd_soft_labels(preds_S, gt_labels, preds_W, **cfg)
    assert isinstance(soft, USKDSoftLabels)
    assert soft.target_index.shape == soft.target_valid.shape == (8, 2)
    assert soft.target_value.shape == (8, 2)
    assert soft.non_target.shape == (8, 20)
    soft_target, zipf = reference_detached(preds_S.tolist(), preds_W.tolist(),
                                           gt_labels.tolist(), **cfg)
    for n in range(8):
        slots = target_slots(gt_labels[n].tolist(), 20)
        expected = [value for _, value in slots
                    ] if cfg.get('target') == 'none' else soft_target[n]
        assert soft.target_index[n, :len(slots)].tolist() == [
            cls for cls, _ in slots
        ]
        assert soft.target_valid[n].tolist() == [True, len(slots) == 2]
        assert soft.target_value[n, :len(slots)].tolist() == pytest.approx(
            expected, rel=1e-9, abs=1e-12)
        assert soft.non_target[n].tolist() == pytest.approx(
            [zipf[n].get(cls, 0.0) for cls in range(20)], rel=1e-9, abs=1e-12)


def test_without_weak_logits_only_the_soft_target():
    preds_S, _, gt_labels = sample_inputs(6, 10, 41, 'mixed')
    soft = uskd_soft_labels(preds_S, gt_labels, target='linear')
    assert soft.non_target is None
    soft_target, _ = reference_detached(
        preds_S.tolist(), None, gt_labels.tolist(), target='linear')
    valid = soft.target_valid
    assert soft.target_value[valid].tolist() == pytest.approx(
        [value for row in soft_target for value in row], rel=1e-9)


def test_detached_and_finite_without_non_target_classes():
    # Two classes, both targets of every row: no non-target class is left,
    # and the Zipf labels are 0 rather than 0 / 0.
    preds_S = torch.randn(4, 2, dtype=torch.float64, requires_grad=True)
    preds_W = torch.randn(4, 2, dtype=torch.float64, requires_grad=True)
    gt_labels = torch.tensor([[0.7, 0.3]] * 4, dtype=torch.float64)
    soft = uskd_soft_labels(preds_S, gt_labels, preds_W)
    assert torch.equal(soft.non_target, torch.zeros(4, 2, dtype=torch.float64))
    assert not soft.target_value.requires_grad
    assert not soft.non_target.requires_grad


def test_rejects_unknown_options():
    preds_S, preds_W, gt_labels = sample_inputs(2, 5, 42)
    with pytest.raises(
            ValueError,
            match="^uskd_soft_labels: rank must be "
            "one of 'normalized', 'sum', 'weak', 'final', got "
            "'norm'$"):
        uskd_soft_labels(preds_S, gt_labels, preds_W, rank='norm')
