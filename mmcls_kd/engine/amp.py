"""Mixed precision that follows the device: fp16 with loss scaling on GPUs,
bf16 without scaling on CPUs.

MMEngine's ``AmpOptimWrapper`` asserts a GPU-class device at construction,
so ``--amp`` cannot start on a CPU machine.
"""
import time
from contextlib import contextmanager
from typing import Optional, Union

import torch
from mmengine.device import get_device
from mmengine.logging import MMLogger
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from torch import nn

from mmcls_kd.registry import OPTIM_WRAPPERS

#: bf16 autocast this many times slower than fp32 on the probe: warn.
SLOW_BF16 = 1.5


def bf16_slowdown(repeats: int = 3) -> float:
    """How many times longer a small convolution step (forward and backward)
    takes under CPU bf16 autocast than in fp32, best of ``repeats``. CPUs
    without native bf16 kernels emulate them, many times slower than fp32;
    CPU flags do not always say which, a measurement does."""
    conv = torch.nn.Conv2d(32, 32, 3, padding=1)
    inputs = torch.randn(8, 32, 16, 16)

    def best(enabled: bool) -> float:
        times = []
        for _ in range(repeats + 1):  # the first call warms up
            start = time.perf_counter()
            with torch.autocast('cpu', dtype=torch.bfloat16, enabled=enabled):
                out = conv(inputs)
            out.float().sum().backward()
            times.append(time.perf_counter() - start)
        return min(times[1:])

    return best(True) / best(False)


def report_amp(device: str,
               dtype: torch.dtype,
               scaled: bool,
               slowdown: Optional[float] = None) -> None:
    """Log the autocast dtype at start; warn when the probe found bf16
    slower than fp32 on this CPU."""
    logger = MMLogger.get_current_instance()
    scaling = 'with dynamic loss scaling' if scaled else 'without loss scaling'
    logger.info(f'AMP: {str(dtype).replace("torch.", "")} autocast on '
                f'{device}, {scaling}')
    if slowdown is not None and slowdown > SLOW_BF16:
        logger.warning(
            f'AMP: this CPU ran a bf16 convolution step {slowdown:.1f}x '
            'slower than fp32 (no native bf16 kernels): --amp will slow this '
            'run down, not speed it up; leave --amp off on this machine')


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
            report_amp(get_device(), self.cast_dtype or torch.float16, True)
            return
        OptimWrapper.__init__(self, **kwargs)
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype)
        self.cast_dtype = dtype or torch.bfloat16
        if self.cast_dtype != torch.bfloat16:
            raise ValueError('DeviceAmpOptimWrapper: CPU autocast supports '
                             f'dtype bfloat16 only, got {self.cast_dtype}')
        self.loss_scaler = None
        report_amp('cpu', self.cast_dtype, False, bf16_slowdown())

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
