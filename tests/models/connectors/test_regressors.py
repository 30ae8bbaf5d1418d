"""The connectors of FitNet, VID and CC: their layers as the CRD benchmark
code builds them, and a feature of the wrong shape named."""
import pytest
import torch
import torch.nn.functional as F

from mmcls_kd.models.connectors import (FitNetRegressor, LinearEmbedding,
                                        VIDRegressor)


@pytest.mark.parametrize('student,teacher,kernel,stride', [
    (None, None, (1, 1), (1, 1)),
    (8, 8, (1, 1), (1, 1)),
    (8, 4, (3, 3), (2, 2)),
    ((6, 5), (4, 4), (3, 2), (1, 1)),
])
def test_fitnet_regressor_follows_the_map_sizes(student, teacher, kernel,
                                                stride):
    regressor = FitNetRegressor(3, 5, student, teacher)
    conv = regressor.conv_module.conv
    assert (conv.kernel_size, conv.stride) == (kernel, stride)
    size = student or 4
    size = (size, size) if isinstance(size, int) else size
    feature = torch.randn(2, 3, *size)
    out = regressor.train()(feature)
    target = (teacher, teacher) if isinstance(teacher, int) else (
        teacher or size)
    assert out.shape == (2, 5, *target)
    # conv, then BatchNorm on the batch's statistics, then ReLU.
    expected = F.relu(
        F.batch_norm(
            conv(feature), None, None, training=True, eps=1e-5))
    torch.testing.assert_close(out, expected)


def test_fitnet_regressor_refuses_a_larger_teacher_and_a_misfit_input():
    with pytest.raises(ValueError, match=r'\(4, 4\) cannot be regressed to '
                       r'a larger teacher map of \(8, 8\)'):
        FitNetRegressor(3, 5, student_size=4, teacher_size=8)
    with pytest.raises(ValueError, match=r'FitNetRegressor expects an '
                       r'\(N, 3, 8, 8\) feature, got \(2, 3, 4, 4\)'):
        FitNetRegressor(3, 5, 8, 8)(torch.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r'\(N, 3, H, W\) feature, got '
                       r'\(2, 4, 4, 4\)'):
        FitNetRegressor(3, 5)(torch.randn(2, 4, 4, 4))


def test_vid_regressor_layers_and_input_check():
    regressor = VIDRegressor(4, 6, mid_channels=5)
    convs = [m for m in regressor.regressor if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.bias) for c in convs] == [
        (4, 5, None), (5, 5, None), (5, 6, None)]
    with pytest.raises(ValueError, match=r'VIDRegressor expects an '
                       r'\(N, 4, H, W\) feature, got \(2, 3, 2, 2\)'):
        regressor(torch.randn(2, 3, 2, 2))
    with pytest.raises(ValueError, match='init_var > eps > 0'):
        VIDRegressor(4, 6, init_var=0.0)


def test_linear_embedding_is_a_linear_layer_on_the_flattened_feature():
    embedding = LinearEmbedding(12, embed_dim=5)
    feature = torch.randn(3, 3, 2, 2)
    torch.testing.assert_close(
        embedding(feature),
        feature.flatten(1) @ embedding.linear.weight.t() +
        embedding.linear.bias)
    with pytest.raises(ValueError, match=r'LinearEmbedding expects a feature '
                       r'of 12 values per sample, got \(3, 8\)'):
        embedding(torch.randn(3, 8))
