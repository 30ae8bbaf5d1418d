"""Top-k teacher caches: the K largest logits of a row instead of all.

A row keeps its K largest logits and their classes, the target class and
its logit, and ``lse``, the log-sum-exp of the logits divided by the
temperature ``tau`` of the config's losses. The rest of the mass is
restored as follows: every class outside the top K and the target gets the
same logit ``c``, chosen so that the softmax at ``tau`` gives the kept
classes exactly their probabilities and the others together exactly the
rest of the mass, ``1 - sum(kept)``. The target's probability, the top-K
probabilities and the non-target mass at ``tau`` are then exact; what is
lost is how the rest of the mass spreads over the other classes (spread
evenly), which the builder reports as the KL divergence between the full
and the restored teacher distribution. At another temperature the restored
logits are not the teacher's: a cache serves one temperature.
"""
from typing import Dict, Optional

import numpy as np
import torch
import torch.nn.functional as F

#: Losses whose temperature varies by sample (NormKD's ``tau='norm'``): the
#: log-sum-exp cannot be stored for them.
_PER_SAMPLE = ('norm', 'zscore')


def encode_topk(logits: torch.Tensor, target: torch.Tensor, k: int,
                tau: float) -> Dict[str, torch.Tensor]:
    """The row record of ``logits`` (N, C) with targets ``target`` (N,)."""
    logits = logits.detach().float()
    values, index = logits.topk(k, dim=1)
    return dict(
        values=values,
        index=index.int(),
        target=target.int(),
        target_logit=logits.gather(1, target.long()[:, None])[:, 0],
        lse=torch.logsumexp(logits / tau, dim=1))


def restore_topk(record: Dict[str, np.ndarray], num_classes: int,
                 tau: float) -> np.ndarray:
    """Float32 logits (N, C) from row records (see the module's rule)."""
    values = np.asarray(record['values'], dtype=np.float64)
    index = np.asarray(record['index'], dtype=np.int64)
    target = np.asarray(record['target'], dtype=np.int64)
    n, k = values.shape
    rows = np.arange(n)
    logits = np.zeros((n, num_classes))
    kept = np.zeros((n, num_classes), dtype=bool)
    logits[rows[:, None], index] = values
    kept[rows[:, None], index] = True
    logits[rows, target] = np.asarray(record['target_logit'], np.float64)
    kept[rows, target] = True
    lse = np.asarray(record['lse'], dtype=np.float64)
    kept_mass = np.where(kept, np.exp(logits / tau - lse[:, None]), 0).sum(1)
    rest = np.clip(1.0 - kept_mass, 1e-30, None)
    others = num_classes - kept.sum(1)
    shared = tau * (np.log(rest / np.maximum(others, 1)) + lse)
    logits = np.where(kept, logits, shared[:, None])
    return logits.astype(np.float32)


def topk_kl(logits: torch.Tensor, target: torch.Tensor, k: int,
            tau: float) -> float:
    """Mean KL divergence (full || restored) of the teacher distribution at
    ``tau`` over the rows of ``logits``: what a top-``k`` cache loses."""
    record = {
        name: value.numpy()
        for name, value in encode_topk(logits, target, k, tau).items()
    }
    restored = torch.from_numpy(
        restore_topk(record, logits.shape[1], tau)).double()
    full = F.log_softmax(logits.double() / tau, dim=1)
    kept = F.log_softmax(restored / tau, dim=1)
    return float((full.exp() * (full - kept)).sum(1).mean())


def cache_temperature(cfg) -> Optional[float]:
    """The one temperature of the config's distillation losses that a
    top-k cache is built for; an error when there are several or one that
    varies by sample."""
    import inspect

    from mmcls_kd.registry import MODELS
    found = set()
    losses = cfg.model.get('distiller', {}).get('distill_losses', {})
    for name, loss in losses.items():
        cls = MODELS.get(loss['type'])
        if 'temperature' in inspect.signature(cls.forward).parameters:
            raise ValueError(
                f'--topk: {name} learns its temperature during the run '
                '(CTKD), and a top-k cache restores the teacher at one fixed '
                'temperature; cache the full logits instead')
        default = inspect.signature(cls).parameters.get('tau')
        tau = loss.get('tau', None if default is None else default.default)
        if tau is None:
            continue
        if isinstance(tau, str) and tau in _PER_SAMPLE:
            raise ValueError(
                f'--topk: {name} takes a temperature per sample '
                f'(tau={tau!r}), whose log-sum-exp a top-k cache cannot '
                'hold; cache the full logits instead')
        found.add(float(tau))
    if len(found) > 1:
        raise ValueError(
            f'--topk: the losses use the temperatures {sorted(found)}; a '
            'top-k cache restores the teacher at one temperature: cache the '
            'full logits instead')
    return found.pop() if found else 1.0
