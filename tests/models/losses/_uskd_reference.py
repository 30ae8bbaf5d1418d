"""The float64 reference of the USKD tests, plain Python loops written from
Eqs. 6-12 of "From Knowledge Distillation to Self-Knowledge Distillation"
(arXiv 2303.13005) and Table 8, and the inputs they share. Nothing here
imports the code under test."""
import math

import torch

TARGETS = ['square', 'linear', 'softmax', 'sqrt', 'max', 'mean', 'none']
RANKS = ['normalized', 'sum', 'weak', 'final']


def log_softmax(values):
    top = max(values)
    log_total = top + math.log(sum(math.exp(v - top) for v in values))
    return [v - log_total for v in values]


def target_slots(label, num_classes):
    """[(class, label value)]: the two largest scores (the first on ties),
    the second only when it is not zero."""
    if isinstance(label, int):
        return [(label, 1.0)]
    ranked = sorted(range(num_classes), key=lambda i: (-label[i], i))
    slots = [(ranked[0], label[ranked[0]])]
    if label[ranked[1]] > 0:
        slots.append((ranked[1], label[ranked[1]]))
    return slots


def soft_targets(prob_t, values, target):
    """P_t of the samples of one slot, from that slot's batch statistics."""
    count = len(prob_t)
    if target == 'square':
        mean = sum(p * p for p in prob_t) / count
        return [p * p + v - mean for p, v in zip(prob_t, values)]
    if target == 'linear':
        mean = sum(prob_t) / count
        return [p + v - mean for p, v in zip(prob_t, values)]
    if target == 'softmax':
        total = sum(math.exp(p) for p in prob_t)
        return [math.exp(p) / total * sum(values) for p in prob_t]
    if target == 'sqrt':
        return [math.sqrt(p - min(prob_t)) for p in prob_t]
    if target == 'max':
        return [p / max(prob_t) for p in prob_t]
    assert target == 'mean'
    return [p / (sum(prob_t) / count) for p in prob_t]


def reference_detached(student,
                       weak,
                       labels,
                       target='square',
                       rank='normalized',
                       rank_space='prob',
                       zipf_exponent=1.0,
                       **unused):
    """The detached soft labels: P_t per sample and slot, and N(Z) per
    sample (a dict class -> value over the non-target classes)."""
    num_samples, num_classes = len(student), len(student[0])
    slots = [target_slots(label, num_classes) for label in labels]
    log_S = [log_softmax(row) for row in student]
    soft_target = [[0.0] * len(row_slots) for row_slots in slots]
    if target != 'none':
        for k in range(2):
            members = [n for n in range(num_samples) if len(slots[n]) > k]
            if not members:
                continue
            prob_t = [math.exp(log_S[n][slots[n][k][0]]) for n in members]
            values = [slots[n][k][1] for n in members]
            for n, p in zip(members, soft_targets(prob_t, values, target)):
                soft_target[n][k] = p
    zipf = []
    if weak is not None:
        for n in range(num_samples):
            targets = [c for c, _ in slots[n]]
            W = [math.exp(v) for v in log_softmax(weak[n])]
            S = log_S[n] if rank_space == 'log_prob' else [
                math.exp(v) for v in log_S[n]
            ]
            W_t = sum(W[c] for c in targets)
            S_t = sum(S[c] for c in targets)
            if rank == 'normalized':
                R = [
                    W[i] / (1 - W_t) + S[i] / (1 - S_t)
                    for i in range(num_classes)
                ]
            elif rank == 'sum':
                R = [W[i] + S[i] for i in range(num_classes)]
            elif rank == 'weak':
                R = W
            else:
                R = S
            order = sorted(range(num_classes), key=lambda i: (-R[i], i))
            Z = {c: (k + 1)**-zipf_exponent for k, c in enumerate(order)}
            rest = {c: z for c, z in Z.items() if c not in targets}
            total = sum(rest.values())
            zipf.append({c: z / total for c, z in rest.items()})
    return soft_target, zipf


def reference_loss_rows(student,
                        weak,
                        labels,
                        soft_target,
                        zipf,
                        alpha=1.0,
                        beta=0.1,
                        mu=0.005,
                        label_smoothing=0.1,
                        **unused):
    """alpha L_target + beta L_non + L_weak of each sample for given
    detached labels."""
    num_samples, num_classes = len(student), len(student[0])
    rows = []
    for n in range(num_samples):
        slots = target_slots(labels[n], num_classes)
        log_S = log_softmax(student[n])
        total = -alpha * sum(p * log_S[c]
                             for p, (c, _) in zip(soft_target[n], slots))
        if weak is not None:
            log_W = log_softmax(weak[n])
            if isinstance(labels[n], int):
                y = [float(i == labels[n]) for i in range(num_classes)]
            else:
                y = labels[n]
            total -= mu * sum((
                (1 - label_smoothing) * y[i] + label_smoothing / num_classes) *
                              log_W[i] for i in range(num_classes))
            non_targets = sorted(zipf[n])
            log_NS = log_softmax([student[n][i] for i in non_targets])
            total -= beta * sum(zipf[n][i] * log_NS[k]
                                for k, i in enumerate(non_targets))
        rows.append(total)
    return rows


def reference_loss(student, weak, labels, soft_target, zipf, **cfg):
    """The batch mean of ``reference_loss_rows``."""
    rows = reference_loss_rows(student, weak, labels, soft_target, zipf, **cfg)
    return sum(rows) / len(rows)


def reference_uskd(student, weak, labels, **cfg):
    soft_target, zipf = reference_detached(student, weak, labels, **cfg)
    return reference_loss(student, weak, labels, soft_target, zipf, **cfg)


def mixup_scores(num_samples, num_classes, generator, kinds):
    """Rows of Mixup-like scores, cycling through ``kinds``: 'mix' two
    classes, 'one' a single non-zero score, 'tie' 0.5 / 0.5, 'three' three
    non-zero scores."""
    perm = torch.stack([
        torch.randperm(num_classes, generator=generator)[:3]
        for _ in range(num_samples)
    ])
    scores = torch.zeros(num_samples, num_classes, dtype=torch.float64)
    for n in range(num_samples):
        kind = kinds[n % len(kinds)]
        a, b, c = perm[n].tolist()
        if kind == 'mix':
            lam = 0.55 + 0.4 * torch.rand(1, generator=generator).item()
            scores[n, a], scores[n, b] = lam, 1 - lam
        elif kind == 'one':
            scores[n, a] = 1.0
        elif kind == 'tie':
            scores[n, a], scores[n, b] = 0.5, 0.5
        else:
            scores[n, a], scores[n, b], scores[n, c] = 0.5, 0.3, 0.2
    return scores


def sample_inputs(num_samples, num_classes, seed, labels='hard', scale=3.0):
    generator = torch.Generator().manual_seed(seed)
    preds_S = torch.randn(
        num_samples, num_classes, generator=generator,
        dtype=torch.float64) * scale
    preds_W = torch.randn(
        num_samples, num_classes, generator=generator,
        dtype=torch.float64) * scale
    if labels == 'hard':
        gt_labels = torch.randint(
            num_classes, (num_samples, ), generator=generator)
    elif labels == 'mixed':
        gt_labels = mixup_scores(num_samples, num_classes, generator,
                                 ['mix', 'one', 'mix', 'tie', 'three'])
    else:
        gt_labels = mixup_scores(num_samples, num_classes, generator, ['one'])
    return preds_S, preds_W, gt_labels
