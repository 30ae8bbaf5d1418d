"""RankMeanLossHook against a simulated second rank (the collectives are
replaced; the real two-rank run is in test_distributed_parity.py)."""
import zlib
from types import SimpleNamespace

import pytest
import torch
import torch.distributed as torch_dist

from mmcls_kd.engine.hooks import RankMeanLossHook, rank_mean_loss


def _two_ranks(monkeypatch, other_rank_outputs):
    """Make this process rank 0 of two, the other rank returning
    ``other_rank_outputs`` from its model."""
    names = list(other_rank_outputs)
    other_values = torch.tensor(
        [float(v) for v in other_rank_outputs.values()], dtype=torch.float64)
    crc = float(zlib.crc32('\0'.join(names).encode()))
    other_signature = torch.tensor([len(names), crc], dtype=torch.float64)

    def all_reduce(tensor, op=torch_dist.ReduceOp.SUM):
        if op == torch_dist.ReduceOp.MAX:
            other = torch.cat([other_signature, -other_signature])
            tensor.copy_(torch.maximum(tensor, other))
        else:
            tensor += other_values

    monkeypatch.setattr(rank_mean_loss, 'is_distributed', lambda: True)
    monkeypatch.setattr(rank_mean_loss, 'get_world_size', lambda: 2)
    monkeypatch.setattr(rank_mean_loss.torch_dist, 'all_reduce', all_reduce)


def test_values_become_means_over_the_ranks(monkeypatch):
    _two_ranks(monkeypatch, {'loss': 3.0, 'student.loss': 1.0,
                             'distill.loss_nkd': 2.0})
    outputs = {'loss': torch.tensor(5.0), 'student.loss': torch.tensor(2.0),
               'distill.loss_nkd': torch.tensor(3.0)}
    RankMeanLossHook().after_train_iter(SimpleNamespace(iter=0), 0,
                                        outputs=outputs)
    assert outputs == {'loss': 4.0, 'student.loss': 1.5,
                       'distill.loss_nkd': 2.5}
    assert all(v.dtype == torch.float32 for v in outputs.values())


def test_a_nan_of_another_rank_reaches_this_one(monkeypatch):
    _two_ranks(monkeypatch, {'loss': float('nan')})
    outputs = {'loss': torch.tensor(1.0)}
    RankMeanLossHook().after_train_iter(SimpleNamespace(iter=0), 0,
                                        outputs=outputs)
    assert torch.isnan(outputs['loss'])


@pytest.mark.parametrize('other', [{'loss': 1.0, 'distill.loss_kd': 1.0},
                                   {'loss': 1.0}])
def test_ranks_logging_different_names_stop_with_an_error(monkeypatch, other):
    _two_ranks(monkeypatch, other)
    outputs = {'loss': torch.tensor(1.0),
               'distill.loss_nkd': torch.tensor(1.0)}
    with pytest.raises(RuntimeError, match='ranks log different values at '
                       "iteration 8; this rank logs \\['loss', "
                       "'distill.loss_nkd'\\]"):
        RankMeanLossHook().after_train_iter(SimpleNamespace(iter=7), 0,
                                            outputs=outputs)


def test_single_process_values_are_untouched():
    outputs = {'loss': torch.tensor(1.25)}
    RankMeanLossHook().after_train_iter(SimpleNamespace(iter=0), 0,
                                        outputs=outputs)
    assert outputs['loss'].item() == 1.25
