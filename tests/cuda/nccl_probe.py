"""Run under torchrun with one process on a GPU: a process group of one on
NCCL, and the rank-mean loss and non-finite-loss hooks on CUDA tensors.
``nccl_probe.py cpu`` checks the probe itself on gloo and CPU tensors."""
import sys
from types import SimpleNamespace

import torch
import torch.distributed as torch_dist
from mmengine.dist import init_dist

from mmcls_kd.engine.hooks import FiniteLossHook, RankMeanLossHook


def main(device: str) -> None:
    if device == 'cuda':
        init_dist('pytorch')  # MMEngine's default backend: NCCL
        backend = 'nccl'
    else:
        torch_dist.init_process_group('gloo')
        backend = 'gloo'
    assert torch_dist.get_backend() == backend, torch_dist.get_backend()
    outputs = {'loss': torch.tensor(2.5, device=device),
               'distill.loss_kd': torch.tensor(1.5, device=device)}
    runner = SimpleNamespace(iter=0, epoch=0)
    RankMeanLossHook().after_train_iter(runner, 0, outputs=outputs)
    # A mean over one rank: the values, still on the GPU.
    assert outputs['loss'].device.type == device
    assert outputs['loss'].item() == 2.5
    assert outputs['distill.loss_kd'].item() == 1.5
    outputs['distill.loss_kd'] = torch.tensor(float('nan'), device=device)
    RankMeanLossHook().after_train_iter(runner, 0, outputs=outputs)
    try:
        FiniteLossHook().after_train_iter(runner, 0, outputs=outputs)
    except FloatingPointError as err:
        assert 'distill.loss_kd=nan' in str(err), err
    else:
        raise AssertionError('a NaN loss on the GPU was not stopped')
    torch_dist.destroy_process_group()
    print(f'{backend} probe passed')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'cuda')
