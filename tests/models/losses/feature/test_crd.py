"""CRD's NCE loss and memory bank (arXiv 1910.10699, Eq. 18 and the
paper's code) against float64 loops on a fixed small memory state."""
import math

import pytest
import torch
from mmpretrain.structures import DataSample
from mmrazor.models.losses import CRDLoss as MMRazorCRDLoss

from mmcls_kd.models.losses.feature import CRDLoss
from mmcls_kd.models.losses.feature import crd as crd_module

N, K, D, TAU, EPS = 12, 4, 3, 0.07, 1e-7


def _unit_rows(rows, generator):
    x = torch.randn(rows, D, generator=generator, dtype=torch.float64)
    return x / x.norm(dim=1, keepdim=True)


def _state(seed, batch=3):
    g = torch.Generator().manual_seed(seed)
    memory_s, memory_t = _unit_rows(N, g), _unit_rows(N, g)
    f_s, f_t = _unit_rows(batch, g), _unit_rows(batch, g)
    index = torch.randperm(N, generator=g)[:batch]
    negatives = torch.randint(N, (batch, K), generator=g)
    contrast = torch.cat([index[:, None], negatives], dim=1)
    return memory_s, memory_t, f_s, f_t, index, contrast


def _samples(index, contrast=None):
    samples = []
    for i, row in enumerate(index.tolist()):
        sample = DataSample(metainfo=dict(sample_idx=row))
        if contrast is not None:
            sample.set_field(contrast[i], 'contrast_idx')
        samples.append(sample)
    return samples


def _loss(memory_s, memory_t, **kwargs):
    loss = CRDLoss(N, num_negatives=K, embed_dim=D, tau=TAU, **kwargs)
    loss.double()
    loss.memory_student.copy_(memory_s)
    loss.memory_teacher.copy_(memory_t)
    return loss


def _dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def reference(memory_s, memory_t, f_s, f_t, contrast, normalizers=None):
    """Returns (L_S + L_T, (Z_S, Z_T)). L_S: the student embedding against
    the teacher's memory; L_T: the teacher's against the student's."""
    ms, mt = memory_s.tolist(), memory_t.tolist()
    fs, ft, c = f_s.tolist(), f_t.tolist(), contrast.tolist()
    batch = len(fs)
    scores_s = [[math.exp(_dot(mt[j], fs[b]) / TAU) for j in c[b]]
                for b in range(batch)]
    scores_t = [[math.exp(_dot(ms[j], ft[b]) / TAU) for j in c[b]]
                for b in range(batch)]
    if normalizers is None:
        normalizers = tuple(
            N * sum(map(sum, scores)) / (batch * (K + 1))
            for scores in (scores_s, scores_t))
    noise = K / N
    total = 0.0
    for scores, z in zip((scores_s, scores_t), normalizers):
        for row in scores:
            p = [v / z for v in row]
            total -= math.log(p[0] / (p[0] + noise + EPS)) / batch
            total -= sum(math.log(noise / (v + noise + EPS))
                         for v in p[1:]) / batch
    return total, normalizers


def updated(memory, index, features, momentum=0.5):
    out = memory.clone()
    for i, f in zip(index.tolist(), features):
        row = momentum * memory[i] + (1 - momentum) * f
        out[i] = row / row.norm()
    return out


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_loss_matches_reference(seed):
    memory_s, memory_t, f_s, f_t, index, contrast = _state(seed)
    loss = _loss(memory_s, memory_t, loss_weight=0.8)
    value = loss(f_s, f_t, _samples(index, contrast))
    expected, normalizers = reference(memory_s, memory_t, f_s, f_t, contrast)
    assert float(value) == pytest.approx(0.8 * expected, rel=1e-9)
    assert loss.normalizers.tolist() == pytest.approx(list(normalizers),
                                                      rel=1e-6)


def test_memory_update_and_fixed_normalizers():
    memory_s, memory_t, f_s, f_t, index, contrast = _state(3)
    loss = _loss(memory_s, memory_t)
    loss(f_s, f_t, _samples(index, contrast))
    new_s, new_t = updated(memory_s, index, f_s), updated(memory_t, index,
                                                          f_t)
    assert torch.allclose(loss.memory_student, new_s, atol=1e-12)
    assert torch.allclose(loss.memory_teacher, new_t, atol=1e-12)
    _, normalizers = reference(memory_s, memory_t, f_s, f_t, contrast)
    # The second call reads the updated banks and keeps the first Z.
    _, _, g_s, g_t, index2, contrast2 = _state(4)
    value = loss(g_s, g_t, _samples(index2, contrast2))
    expected, _ = reference(new_s, new_t, g_s, g_t, contrast2, normalizers)
    assert float(value) == pytest.approx(expected, rel=1e-9)


def test_gradients_reach_both_embeddings_not_the_banks():
    memory_s, memory_t, f_s, f_t, index, contrast = _state(5)
    f_s.requires_grad_(True)
    f_t.requires_grad_(True)
    _loss(memory_s, memory_t)(f_s, f_t, _samples(index, contrast)).backward()
    assert f_s.grad.abs().sum() > 0 and f_t.grad.abs().sum() > 0


def test_without_contrast_idx_negatives_are_uniform():
    memory_s, memory_t, f_s, f_t, index, _ = _state(6, batch=4)
    loss = _loss(memory_s, memory_t)
    got_index, contrast = loss._indices(_samples(index), 4, torch.device(
        'cpu'))
    assert got_index.tolist() == index.tolist()
    assert contrast.shape == (4, K + 1)
    assert contrast[:, 0].tolist() == index.tolist()
    assert int(contrast.min()) >= 0 and int(contrast.max()) < N
    assert torch.isfinite(loss(f_s, f_t, _samples(index)))


def test_autocast_does_not_lower_the_precision():
    memory_s, memory_t, f_s, f_t, index, contrast = _state(7)
    f_s, f_t = f_s.float(), f_t.float()
    plain = _loss(memory_s.float(), memory_t.float()).float()
    autocast = _loss(memory_s.float(), memory_t.float()).float()
    expected = plain(f_s, f_t, _samples(index, contrast))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = autocast(f_s, f_t, _samples(index, contrast))
    assert value.dtype == torch.float32
    assert float(value) == pytest.approx(float(expected), rel=1e-6)


def test_two_ranks_share_one_bank(monkeypatch):
    """The bank update takes every rank's batch; Z is averaged over ranks.
    This rank holds samples 0-1, the simulated other rank samples 2-3."""
    memory_s, memory_t, f_s, f_t, index, contrast = _state(8, batch=4)
    _, z_other = reference(memory_s, memory_t, f_s[2:], f_t[2:], contrast[2:])
    # What the other rank contributes, in the order the loss gathers.
    gathered = iter([index[2:], f_s[2:], index[2:], f_t[2:]])

    def all_reduce(tensor, op):
        assert op == 'mean'
        other = torch.tensor(z_other, dtype=tensor.dtype)
        tensor.copy_((tensor + other) / 2)

    monkeypatch.setattr(crd_module.dist, 'all_gather',
                        lambda tensor: [tensor, next(gathered)])
    monkeypatch.setattr(crd_module.dist, 'all_reduce', all_reduce)
    loss = _loss(memory_s, memory_t)
    loss(f_s[:2], f_t[:2], _samples(index[:2], contrast[:2]))
    assert torch.allclose(loss.memory_student, updated(memory_s, index, f_s))
    assert torch.allclose(loss.memory_teacher, updated(memory_t, index, f_t))
    _, z_own = reference(memory_s, memory_t, f_s[:2], f_t[:2], contrast[:2])
    assert loss.normalizers.tolist() == pytest.approx(
        [(a + b) / 2 for a, b in zip(z_own, z_other)], rel=1e-9)


def test_bad_inputs_are_named():
    memory_s, memory_t, f_s, f_t, index, contrast = _state(9)
    loss = _loss(memory_s, memory_t)
    with pytest.raises(ValueError, match=r'\(3, 5\).*\(3, 3\)'):
        loss(torch.randn(3, 5, dtype=torch.float64), f_t,
             _samples(index, contrast))
    with pytest.raises(ValueError, match=r'\(3, 3\), expected \(3, 5\)'):
        loss(f_s, f_t, _samples(index, contrast[:, :3]))
    with pytest.raises(ValueError, match='CRDDataset'):
        loss(f_s, f_t, [DataSample() for _ in range(3)])
    with pytest.raises(ValueError, match=r'num_samples=12'):
        loss(f_s, f_t, _samples(index + N, contrast))


def test_mmrazor_crd_ignores_its_loss_weight():
    """Why this package has its own CRDLoss: MMRazor's returns the unweighted
    value whatever loss_weight says (and wants sample_idx as a tensor)."""
    memory_s, memory_t, f_s, f_t, index, contrast = _state(10)
    theirs = MMRazorCRDLoss(loss_weight=0.8, temperature=TAU, neg_num=K,
                            sample_n=N, dim_out=D).double()
    theirs.contrast.memory_v1.copy_(memory_s)
    theirs.contrast.memory_v2.copy_(memory_t)
    samples = []
    for i in range(3):
        sample = DataSample()
        sample.set_field(index[i], 'sample_idx')
        sample.set_field(contrast[i], 'contrast_sample_idxs')
        samples.append(sample)
    value = theirs(f_s, f_t, samples)
    expected, _ = reference(memory_s, memory_t, f_s, f_t, contrast)
    # Its temperature is stored in a float32 buffer.
    assert float(value) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(AssertionError, match='must be a tensor'):
        theirs(f_s, f_t, _samples(index, contrast))


def test_unset_normalizers_loaded_from_a_checkpoint_are_set_again():
    memory_s, memory_t, f_s, f_t, index, contrast = _state(3)
    loss = _loss(memory_s, memory_t)
    # Before the first step: Z not yet set.
    unset = {k: v.clone() for k, v in loss.state_dict().items()}
    loss(f_s, f_t, _samples(index, contrast))
    assert bool((loss.normalizers > 0).all())
    loss.load_state_dict(unset)
    _, _, g_s, g_t, index2, contrast2 = _state(4)
    value = loss(g_s, g_t, _samples(index2, contrast2))
    # As a fresh loss on the same banks: Z from this batch, not -1.
    expected, _ = reference(memory_s, memory_t, g_s, g_t, contrast2)
    assert float(value) == pytest.approx(expected, rel=1e-9)
