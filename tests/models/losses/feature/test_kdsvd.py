"""KD-SVD (arXiv 1807.06819): the loss against a float64 implementation
that finds the singular vectors another way (eigenvectors of the Gram
matrix), gradients included."""
import pytest
import torch

from mmcls_kd.models.losses import KDSVDLoss


def leading_vectors(feature, count):
    """The ``count`` leading right singular vectors (N, C, count) of each
    sample's (H W, C) matrix X and its singular values, from the
    eigen-decomposition of X^T X (eigenvalues s^2, descending)."""
    x = feature.flatten(2).transpose(1, 2)
    values, vectors = torch.linalg.eigh(x.transpose(1, 2) @ x)
    order = torch.arange(values.shape[1] - 1, values.shape[1] - 1 - count,
                         -1)
    singular = values[:, order].clamp_min(0).sqrt()
    return vectors[:, :, order], singular / singular.norm(dim=1,
                                                          keepdim=True)


def reference(students, teachers, k, loss_weight):
    """Teacher vectors signed to a non-negative sum and scaled by its
    normalised singular values; each student vector of the k + 3 leading
    ones that is most parallel to a teacher vector, signed like it, scaled
    alike; then sum over consecutive pairs of (exp(-(v_c - w_c')^2 / 8)
    student - teacher)^2, divided by N."""
    total, previous = 0, None
    for s, t in zip(students, teachers):
        v_t, s_t = leading_vectors(t, k)
        v_t = v_t * torch.sign(v_t.sum(1, keepdim=True))
        v_s, _ = leading_vectors(s, k + 3)
        n = s.shape[0]
        matched = torch.zeros_like(v_t)
        for b in range(n):
            for j in range(k):
                cos = v_s[b].T @ v_t[b, :, j]
                best = int(cos.abs().argmax())
                matched[b, :, j] = v_s[b, :, best] * torch.sign(cos[best])
        current = (matched * s_t[:, None], v_t * s_t[:, None])
        if previous is not None:
            for b in range(n):
                for j in range(k):
                    rbf = [
                        torch.exp(-(now[b, :, j][:, None] -
                                    before[b, :, j][None, :])**2 / 8)
                        for now, before in zip(current, previous)
                    ]
                    total = total + ((rbf[0] - rbf[1])**2).sum()
        previous = current
    return loss_weight * total / students[0].shape[0]


@pytest.mark.parametrize('k', [1, 2])
def test_kdsvd_matches_the_svd_relations_with_gradients(k):
    g = torch.Generator().manual_seed(5)
    # More positions than channels at every point: distinct singular
    # values, and the Gram matrix has full rank.
    shapes = [(2, 5, 4, 4), (2, 6, 3, 3), (2, 7, 3, 3)]
    students = [torch.rand(s, generator=g, dtype=torch.float64)
                .requires_grad_() for s in shapes]
    teachers = [torch.rand(s, generator=g, dtype=torch.float64)
                for s in shapes]
    value = KDSVDLoss(k=k, loss_weight=2.0)(students, teachers)
    grads = torch.autograd.grad(value, students)
    leaves = [s.detach().clone().requires_grad_() for s in students]
    expected = reference(leaves, teachers, k, 2.0)
    expected_grads = torch.autograd.grad(expected, leaves)
    assert value.item() > 0
    assert value.item() == pytest.approx(expected.item(), rel=1e-9)
    for grad, ref in zip(grads, expected_grads):
        assert torch.allclose(grad, ref, rtol=1e-6, atol=1e-10)


def test_kdsvd_is_zero_for_the_teacher_itself_and_sign_free():
    g = torch.Generator().manual_seed(6)
    teachers = [torch.rand(2, 4, 3, 3, generator=g, dtype=torch.float64),
                torch.rand(2, 5, 3, 3, generator=g, dtype=torch.float64)]
    assert KDSVDLoss()(teachers, teachers).item() == pytest.approx(
        0, abs=1e-20)
    # A student whose maps are the teacher's negated has the same singular
    # vectors up to sign: matched, they give the teacher's relations.
    negated = [-t for t in teachers]
    assert KDSVDLoss()(negated, teachers).item() == pytest.approx(
        0, abs=1e-20)


def test_kdsvd_names_the_feature_whose_channels_differ():
    students = [torch.randn(2, 4, 3, 3), torch.randn(2, 5, 3, 3)]
    teachers = [torch.randn(2, 4, 3, 3), torch.randn(2, 6, 3, 3)]
    with pytest.raises(ValueError, match=r'KDSVDLoss: student feature 1 '
                       r'\(2, 5, 3, 3\) must have the \(N, C\) of teacher '
                       r'feature 1 \(2, 6, 3, 3\)'):
        KDSVDLoss()(students, teachers)
    with pytest.raises(ValueError, match='k must be an integer >= 1'):
        KDSVDLoss(k=0)
