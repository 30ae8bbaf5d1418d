import pytest
import torch
from torch.nn.modules.batchnorm import _BatchNorm

from .utils import build

# A small StagedBackbone: WRN-16-1 (stem conv1, layer1-3, final_norm).
SMALL = dict(type='CIFARWideResNet', depth=16)


def _bn_states(module):
    return [m.training for m in module.modules() if isinstance(m, _BatchNorm)]


def test_outputs_follow_stage_order():
    backbone = build(dict(SMALL, out_indices=(2, 0))).eval()
    outs = backbone(torch.randn(1, 3, 32, 32))
    assert [out.shape[1] for out in outs] == [16, 64]


@pytest.mark.parametrize('out_indices', [(), (4, ), (-1, )])
def test_bad_out_indices(out_indices):
    with pytest.raises(ValueError, match='out_indices must be'):
        build(dict(SMALL, out_indices=out_indices))


def test_bad_frozen_stages():
    with pytest.raises(ValueError,
                       match=r'frozen_stages must be in \[-1, 4\]'):
        build(dict(SMALL, frozen_stages=5))


def test_frozen_stages_freeze_stem_and_first_stages():
    backbone = build(dict(SMALL, frozen_stages=1))
    backbone.train()
    frozen = [backbone.conv1, backbone.layer1]
    assert all(not p.requires_grad for m in frozen for p in m.parameters())
    assert all(p.requires_grad for p in backbone.layer2.parameters())
    assert not any(_bn_states(backbone.layer1))
    assert all(_bn_states(backbone.layer2))

    before = backbone.layer1[0].bn1.running_mean.clone()
    backbone(torch.randn(2, 3, 32, 32))
    torch.testing.assert_close(backbone.layer1[0].bn1.running_mean, before)
    assert backbone.layer2[0].bn1.num_batches_tracked == 1


def test_norm_eval_keeps_every_bn_in_eval_mode():
    backbone = build(dict(SMALL, norm_eval=True))
    backbone.train()
    assert backbone.training
    assert not any(_bn_states(backbone))
    assert all(p.requires_grad for p in backbone.parameters())


def test_eval_mode_is_not_undone():
    backbone = build(dict(SMALL, frozen_stages=0))
    backbone.train()
    backbone.eval()
    assert not any(_bn_states(backbone))
