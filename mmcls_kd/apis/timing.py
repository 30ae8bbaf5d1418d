"""Timing several cases side by side, for the benchmark scripts: on a
shared machine only ratios measured in one run are worth reporting."""
import statistics
import time
from typing import Callable, Dict

import torch


def _sync(device: str) -> None:
    if device == 'cuda':
        torch.cuda.synchronize()


def interleaved_medians(cases: Dict[str, Callable[[], None]], repeats: int,
                        device: str = 'cpu') -> Dict[str, float]:
    """Seconds per call of each case: one warm-up call each, then
    ``repeats`` rounds running every case once (A, B, A, B, ...), so that
    load on the machine hits all cases alike; the median of each."""
    for fn in cases.values():
        fn()
    times = {name: [] for name in cases}
    for _ in range(repeats):
        for name, fn in cases.items():
            _sync(device)
            start = time.perf_counter()
            fn()
            _sync(device)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}
