"""Mixed precision that follows the device: fp16 with loss scaling on GPUs,
bf16 without scaling on CPUs.

MMEngine's ``AmpOptimWrapper`` asserts a GPU-class device at construction,
so ``--amp`` cannot start on a CPU machine.
"""
from contextlib import contextmanager
from typing import Optional, Union

import torch
from mmengine.device import get_device
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from torch import nn

from mmcls_kd.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class DeviceAmpOptimWrapper(AmpOptimWrapper):
    """``AmpOptimWrapper`` on accelerators; bf16 autocast on CPU.

    Args:
        loss_scale: as ``AmpOptimWrapper``; ignored on CPU, where bf16 has
            fp32's exponent range and needs no scaling.
        dtype: autocast dtype. Defaults to fp16 on accelerators and bf16 on
            CPU (CPU autocast has no fp16 kernels for most ops).
    """

    def __init__(self,
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Optional[Union[str, torch.dtype]] = None,
                 **kwargs) -> None:
        self._on_cpu = get_device() == 'cpu'
        if not self._on_cpu:
            super().__init__(loss_scale=loss_scale, dtype=dtype, **kwargs)
            return
        OptimWrapper.__init__(self, **kwargs)
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype)
        self.cast_dtype = dtype or torch.bfloat16
        if self.cast_dtype != torch.bfloat16:
            raise ValueError('DeviceAmpOptimWrapper: CPU autocast supports '
                             f'dtype bfloat16 only, got {self.cast_dtype}')
        self.loss_scaler = None

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        if self._on_cpu:
            return OptimWrapper.backward(self, loss, **kwargs)
        return super().backward(loss, **kwargs)

    def step(self, **kwargs) -> None:
        if self._on_cpu:
            return OptimWrapper.step(self, **kwargs)
        return super().step(**kwargs)

    def state_dict(self) -> dict:
        if self._on_cpu:
            return OptimWrapper.state_dict(self)
        return super().state_dict()

    def load_state_dict(self, state_dict: dict) -> None:
        if self._on_cpu:
            # A checkpoint written on a GPU carries a scaler CPU does not use.
            state_dict = {
                key: value
                for key, value in state_dict.items() if key != 'loss_scaler'
            }
            return OptimWrapper.load_state_dict(self, state_dict)
        return super().load_state_dict(state_dict)

    @contextmanager
    def optim_context(self, model: nn.Module):
        if not self._on_cpu:
            with super().optim_context(model):
                yield
            return
        with OptimWrapper.optim_context(self, model), torch.autocast(
                'cpu', dtype=self.cast_dtype):
            yield
