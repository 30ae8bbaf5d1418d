"""GroupRecorder (several MMRazor recorders as one list record) and
pre-activation records under the distillation algorithms."""
import pytest
import torch
from mmengine.registry import DefaultScope
from mmrazor.models.task_modules import RecorderManager
from torch import nn

from mmcls_kd.models.recorders import GroupRecorder


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


def test_pre_relu_records_survive_under_the_algorithm(random_teacher_ckpt):
    """Pre-activation features are recorded with MMRazor's ModuleInputs on
    the ReLU: the algorithm runs every ReLU out of place, so the record is
    the input as it was at the call (negatives included), not the
    activation written over it."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmcls_kd.registry import MODELS
    from tests.conftest import QUICK
    cfg = Config.fromfile(
        f'{QUICK}/ofd_resnet34-w32_resnet18-w16_1xb32_digits.py')
    cfg.model.teacher_ckpt = random_teacher_ckpt
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        model = MODELS.build(cfg.model)
    recorders = model.distiller.teacher_recorders.recorders
    sources = {name: rec.source for name, rec in recorders.items()
               if type(rec).__name__ == 'ModuleInputsRecorder'}
    assert sources
    modules = dict(model.teacher.named_modules())
    seen = {name: [] for name in sources}
    for name, source in sources.items():
        modules[source].register_forward_pre_hook(
            lambda module, args, name=name: seen[name].append(
                args[0].detach().clone()))
    torch.manual_seed(0)
    inputs = torch.randn(4, 1, 8, 8)
    from mmpretrain.structures import DataSample
    samples = [DataSample().set_gt_label(i) for i in range(4)]
    model.train()
    model.loss(inputs, samples)
    for name in sources:
        record = model.distiller.get_record(
            recorder=name, from_student=False, record_idx=1, data_idx=0)
        assert torch.equal(record, seen[name][1]), name
        assert (record < 0).any(), name
