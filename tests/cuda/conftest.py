"""The device of the ``cuda`` tests: the GPU, or the CPU when
``MMCLS_KD_CUDA_TESTS_ON_CPU=1`` checks the tests themselves."""
import pytest
import torch


@pytest.fixture
def device() -> str:
    return 'cuda' if torch.cuda.is_available() else 'cpu'


def needs_cuda(device: str, what: str) -> None:
    """Skip, saying ``what`` needs CUDA itself, when run on the CPU."""
    if device != 'cuda':
        pytest.skip(f'{what} needs CUDA itself (the CPU run checks the '
                    'rest of this test)')
