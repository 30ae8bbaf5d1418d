"""GroupRecorder (several MMRazor recorders as one list record) and
ModuleInputsCopyRecorder (inputs copied before an in-place module)."""
import pytest
import torch
from mmengine.registry import DefaultScope
from mmrazor.models.task_modules import (ModuleInputsRecorder,
                                         RecorderManager)
from torch import nn

from mmcls_kd.models.recorders import (GroupRecorder, ModuleInputsCopyRecorder)


class Block(nn.Module):
    """Calls its ReLU twice, as a ResNet basic block does."""

    def __init__(self, inplace=False):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 1)
        self.relu = nn.ReLU(inplace=inplace)

    def forward(self, x):
        return self.relu(self.conv(self.relu(x)) - 1)


class Toy(nn.Module):

    def __init__(self):
        super().__init__()
        self.block = Block()
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        return (self.pool(self.block(x)).flatten(1), )


def test_records_members_in_order_with_their_indices():
    torch.manual_seed(0)
    model = Toy()
    # The distiller builds recorders in MMRazor's registry; the package's
    # default scope sends it to this package's child registry.
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        manager = RecorderManager(
            dict(feats=dict(
                type='Group',
                recorders=[
                    dict(type='ModuleInputs', source='block.relu',
                         record_idx=1, data_idx=0),
                    dict(type='ModuleOutputs', source='block'),
                    dict(type='ModuleOutputs', source='pool'),
                ])))
    manager.initialize(model)
    x = torch.randn(3, 2, 4, 4)
    with manager:
        model(x)
    pre_relu, block_out, pooled = manager.get_recorder(
        'feats').get_record_data()
    expected_pre = model.block.conv(torch.relu(x)) - 1
    assert torch.allclose(pre_relu, expected_pre)
    assert torch.allclose(block_out, torch.relu(expected_pre))
    assert torch.allclose(pooled, block_out.mean(dim=(2, 3), keepdim=True))
    second = manager.get_recorder('feats').get_record_data(data_idx=1)
    assert second is block_out
    # A new forward replaces the records.
    with manager:
        model(x[:1])
    assert manager.get_recorder('feats').get_record_data()[1].shape[0] == 1


def test_missing_call_names_the_member():
    model = Toy()
    recorder = GroupRecorder([
        dict(type='ModuleOutputs', source='block'),
        dict(type='ModuleOutputs', source='pool', record_idx=1),
    ])
    recorder.initialize(model)
    with recorder:
        model(torch.randn(1, 2, 2, 2))
    with pytest.raises(ValueError, match="member 'pool'"):
        recorder.get_record_data()
    with pytest.raises(ValueError, match='record_idx must be 0'):
        recorder.get_record_data(record_idx=1)


def test_missing_module_fails_at_initialisation():
    recorder = GroupRecorder([dict(type='ModuleOutputs', source='nope')])
    with pytest.raises(AssertionError, match='"nope" is not in the model'):
        recorder.initialize(Toy())


def test_copy_keeps_the_input_of_an_inplace_relu():
    torch.manual_seed(1)
    block = Block(inplace=True)
    copy = ModuleInputsCopyRecorder('relu')
    after = ModuleInputsRecorder('relu')
    copy.initialize(block)
    after.initialize(block)
    x = torch.randn(3, 2, 4, 4)
    with torch.no_grad():
        expected = block.conv(torch.relu(x)) - 1
    x.requires_grad_(True)
    with copy, after:
        # The first ReLU works in place too: not on the leaf itself.
        block(x * 1)
    pre_relu = copy.get_record_data(record_idx=1, data_idx=0)
    assert torch.allclose(pre_relu, expected) and (pre_relu < 0).any()
    # MMRazor's recorder reads the input after the in-place ReLU ran.
    assert (after.get_record_data(1, 0) >= 0).all()
    pre_relu.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
