"""Top-k teacher caches: the K largest logits of a row instead of all.

A row keeps its K largest logits and their classes, the target classes and
their logits (one, or two when the student mixes its batches: both classes
of a Mixup/CutMix image), the row's mean and (unbiased) standard deviation,
and ``rest_lse``: the log-sum-exp, over the classes not kept, of the logits
divided by the row's temperature. That temperature is the fixed ``tau`` of
the config's losses, or the per-sample one of ``tau='norm'`` (NormKD,
``t_norm * std``) and ``tau='zscore'`` (logit standardisation,
``t_norm * (std + 1e-7)``), computed from the stored standard deviation.

The rule that restores the rest: every class not kept gets the same logit
``c``, such that their sum of ``exp(z / tau)`` is ``exp(rest_lse)``. The
softmax at the row's temperature then gives the kept classes exactly their
probabilities and the others together exactly the rest of the mass (kept
as a log-sum-exp rather than as ``1 - sum(kept)``, which a sharp row rounds
to zero). A per-sample temperature is recomputed by the loss from the
restored row, so there the row must keep the teacher's standard deviation
too: the first class not kept is set ``D`` below the others, ``c`` rising to
keep the rest mass, with ``D`` found by bisection so that the row's
deviation is the stored one; the row is then shifted to the stored mean
(softmax ignores the shift). What is lost is how the rest of the mass
spreads over the other classes, which the builder reports as the KL
divergence between the full and the restored teacher distribution. At
another temperature the restored logits are not the teacher's: a cache
serves the temperature it was built for.
"""
import inspect
from typing import Dict, Optional, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F

from mmcls_kd.models.losses.ops import PER_SAMPLE_TAUS, ZSCORE_EPS, ZSCORE_TAU

#: A fixed temperature, or ``{'tau': 'norm' | 'zscore', 't_norm': x}``.
Temperature = Union[float, Dict[str, Union[str, float]]]


def row_temperature(std: np.ndarray, temperature: Temperature) -> np.ndarray:
    """The temperature of each row (N,) from its standard deviation."""
    std = np.asarray(std, dtype=np.float64)
    if not isinstance(temperature, dict):
        return np.full(std.shape, float(temperature))
    if temperature['tau'] == ZSCORE_TAU:
        return (std + ZSCORE_EPS) * temperature['t_norm']
    return np.maximum(std * temperature['t_norm'], np.finfo(np.float64).tiny)


def encode_topk(logits: torch.Tensor, targets: torch.Tensor, k: int,
                temperature: Temperature) -> Dict[str, torch.Tensor]:
    """The row record of ``logits`` (N, C) with target classes ``targets``
    (N, S)."""
    logits = logits.detach().float()
    values, index = logits.topk(k, dim=1)
    std = logits.double().std(dim=1)
    tau = torch.from_numpy(row_temperature(std.cpu().numpy(), temperature))
    kept = torch.zeros_like(logits, dtype=torch.bool)
    kept.scatter_(1, index, True)
    kept.scatter_(1, targets.long(), True)
    scaled = logits.double() / tau.to(logits.device)[:, None]
    return dict(
        values=values,
        index=index.int(),
        target=targets.int(),
        target_logit=logits.gather(1, targets.long()),
        rest_lse=torch.logsumexp(scaled.masked_fill(kept, -float('inf')),
                                 dim=1).float(),
        mean=logits.double().mean(dim=1).float(),
        std=std.float())


def _kept(record: Dict[str, np.ndarray],
          num_classes: int) -> Tuple[np.ndarray, np.ndarray]:
    """The row's kept logits (zeros elsewhere) and which classes are kept."""
    values = np.asarray(record['values'], dtype=np.float64)
    index = np.asarray(record['index'], dtype=np.int64)
    target = np.asarray(record['target'], dtype=np.int64).reshape(
        len(values), -1)
    rows = np.arange(len(values))[:, None]
    logits = np.zeros((len(values), num_classes))
    kept = np.zeros(logits.shape, dtype=bool)
    logits[rows, index] = values
    logits[rows, target] = np.asarray(record['target_logit'],
                                      np.float64).reshape(target.shape)
    kept[rows, index] = True
    kept[rows, target] = True
    return logits, kept


def _unbiased_var(logits: np.ndarray) -> np.ndarray:
    return logits.var(axis=-1, ddof=1)


def restore_topk(record: Dict[str, np.ndarray],
                 num_classes: int,
                 temperature: Temperature,
                 with_feasible: bool = False):
    """Float32 logits (N, C) from row records (see the module's rule).

    With ``with_feasible``, also a mask (N,) of the rows whose standard
    deviation the rule could restore (always true at a fixed temperature;
    a per-sample temperature needs the flat restore's deviation to be at
    most the teacher's, which held for every row seen so far).
    """
    logits, kept = _kept(record, num_classes)
    std = np.asarray(record['std'], dtype=np.float64)
    tau = row_temperature(std, temperature)[:, None]
    # log of the others' total sum of exp(z / tau).
    rest = np.asarray(record['rest_lse'], dtype=np.float64)[:, None]
    others = num_classes - kept.sum(1, keepdims=True)
    feasible = np.ones(len(logits), dtype=bool)
    if not isinstance(temperature, dict):
        flat = tau * (rest - np.log(np.maximum(others, 1)))
        logits = np.where(kept, logits, flat)
    else:
        logits, feasible = _restore_std(logits, kept, tau, rest, others,
                                        std**2)
        logits += (np.asarray(record['mean'], np.float64) -
                   logits.mean(1))[:, None]
    logits = logits.astype(np.float32)
    return (logits, feasible) if with_feasible else logits


def _restore_std(logits, kept, tau, rest, others, variance):
    """The others' logits: ``m - 1`` at ``c`` and the first at ``c - D``,
    with ``D`` such that the row's variance is ``variance``."""
    tau, rest, m = tau[:, 0], rest[:, 0], others[:, 0].astype(np.float64)
    size = logits.shape[1]
    kept_sum = np.where(kept, logits, 0).sum(1)
    kept_squares = np.where(kept, logits**2, 0).sum(1)

    def level(depth):
        # exp(c / tau) * (m - 1 + exp(-D / tau)) = exp(rest)
        return tau * (rest - np.log(
            np.maximum(m - 1 + np.exp(-depth / tau), 1e-300)))

    def row_variance(depth):
        c = level(depth)
        total = kept_sum + (m - 1) * c + c - depth
        squares = kept_squares + (m - 1) * c**2 + (c - depth)**2
        return (squares - total**2 / size) / (size - 1)

    # Rows with fewer than two other classes are whole already.
    free = m >= 2
    high = np.sqrt(variance * size) + tau
    for _ in range(64):  # widen until the variance is reached
        short = free & (row_variance(high) < variance)
        if not short.any():
            break
        high[short] *= 2
    # Lowering the one class first brings it towards the row's mean, so the
    # variance may dip before it grows: take the root after the minimum.
    grid = high[:, None] * np.linspace(0, 1, 257)[None]
    values = row_variance(grid.T).T
    lowest = values.argmin(1)
    feasible = ~free | (values.min(1) <= variance * (1 + 1e-6))
    after = np.arange(257)[None] >= lowest[:, None]
    upper = np.argmax(after & (values >= variance[:, None]), axis=1)
    rows = np.arange(len(logits))
    low = grid[rows, np.maximum(upper - 1, lowest)]
    high = grid[rows, upper]
    for _ in range(60):
        middle = (low + high) / 2
        over = row_variance(middle) > variance
        high = np.where(over, middle, high)
        low = np.where(over, low, middle)
    depth = np.where(free & feasible, (low + high) / 2, 0.0)
    c = level(depth)
    out = np.where(kept, logits, c[:, None])
    sink = np.argmax(~kept, axis=1)  # the first class not kept
    out[rows, sink] = np.where(m > 0, c - depth, out[rows, sink])
    return out, feasible


def topk_kl(logits: torch.Tensor, targets: torch.Tensor, k: int,
            temperature: Temperature) -> float:
    """Mean KL divergence (full || restored) of the teacher distribution at
    the cache's temperature over the rows of ``logits``: what a top-``k``
    cache loses."""
    record = {
        name: value.cpu().numpy()
        for name, value in encode_topk(logits, targets, k,
                                       temperature).items()
    }
    restored = torch.from_numpy(
        restore_topk(record, logits.shape[1], temperature)).double()
    logits = logits.detach().double().cpu()

    def log_p(rows):
        tau = torch.from_numpy(
            row_temperature(rows.std(dim=1).numpy(), temperature))
        return F.log_softmax(rows / tau[:, None], dim=1)

    full, kept = log_p(logits), log_p(restored)
    return float((full.exp() * (full - kept)).sum(1).mean())


def cache_temperature(cfg) -> Optional[Temperature]:
    """The one temperature of the config's distillation losses that a top-k
    cache is built for; an error when there are several, or one that is
    learnt during the run (CTKD)."""
    from mmcls_kd.registry import MODELS
    found = []
    losses = cfg.model.get('distiller', {}).get('distill_losses', {})
    for name, loss in losses.items():
        cls = MODELS.get(loss['type'])
        if 'temperature' in inspect.signature(cls.forward).parameters:
            raise ValueError(
                f'--topk: {name} learns its temperature during the run '
                '(CTKD), and a top-k cache restores the teacher at one fixed '
                'temperature; cache the full logits instead')
        built = MODELS.build(loss)
        tau = getattr(built, 'tau', None)
        if tau is None:
            continue
        if tau in PER_SAMPLE_TAUS:
            tau = dict(tau=tau, t_norm=float(built.t_norm))
        else:
            tau = float(tau)
        if tau not in found:
            found.append(tau)
    if len(found) > 1:
        raise ValueError(
            f'--topk: the losses use the temperatures {found}; a top-k cache '
            'restores the teacher at one temperature: cache the full logits '
            'instead')
    return found[0] if found else 1.0
