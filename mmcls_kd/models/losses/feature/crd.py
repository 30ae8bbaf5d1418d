"""Contrastive Representation Distillation (CRD) with its memory bank."""
import math
from typing import Sequence

import torch
import torch.nn as nn
from mmengine import dist
from torch import Tensor

from mmcls_kd.registry import MODELS
from ..checks import check_count, check_range, shape_of
from ..ops import compute_dtype


@MODELS.register_module()
class CRDLoss(nn.Module):
    """The NCE objective of "Contrastive Representation Distillation"
    (Tian et al., ICLR 2020, arXiv 1910.10699), Eq. 18, in both directions
    (student as anchor against the teacher's memory and vice versa), with
    the momentum memory bank of the paper's code.

    The inputs are the L2-normalised embeddings of the student and the
    teacher (connectors: :class:`~mmcls_kd.models.connectors.CRDEmbedding`).
    For sample ``i`` with the contrast indices ``c_0 = i`` (the positive)
    and ``c_1..c_K`` (negatives), the student-anchored scores are

        P_k = exp(<v^T_{c_k}, f^S_i> / tau) / Z^S

    with ``v^T`` the teacher's memory bank, and with ``M = K / N``,
    ``N = num_samples``::

        L^S = -1/B sum_i [log(P_0 / (P_0 + M + eps))
                          + sum_{k>=1} log(M / (P_k + M + eps))]

    ``L^T`` likewise with the roles swapped; the loss is
    ``loss_weight * (L^S + L^T)``. ``Z`` is fixed at the first call to ``N``
    times the mean of the unnormalised scores (the paper's Monte-Carlo
    estimate of the partition function). After each call the banks' rows of
    the batch become ``normalise(momentum * v_i + (1 - momentum) * f_i)``.

    The sample index and the negatives come from the data samples, which
    :class:`~mmcls_kd.datasets.CRDDataset` fills (``sample_idx`` and
    ``contrast_idx``). Without ``contrast_idx`` the negatives are drawn
    uniformly from the whole memory, as the paper's code does when it gets
    no indices.

    Replaces MMRazor's ``CRDLoss``, which never applies its ``loss_weight``,
    asserts a tensor ``sample_idx`` where MMEngine data sets store an int,
    and, under several processes, lets each rank's bank drift apart. Here
    the bank update gathers the batches of all ranks and ``Z`` is averaged
    over ranks (ranks must have equal batch sizes, as MMEngine's
    ``DefaultSampler`` gives them).

    Args:
        num_samples (int): size of the training set (rows of each bank).
        num_negatives (int): negatives per sample, ``K``. Defaults to 16384.
        embed_dim (int): size of the embeddings. Defaults to 128.
        tau (float): temperature. Defaults to 0.07.
        momentum (float): momentum of the bank update. Defaults to 0.5.
        eps (float): the paper's code's ``1e-7`` in the denominators.
        loss_weight (float): Multiplies the loss. Defaults to 1.0 (the paper
            uses 0.8 on CIFAR-100).
    """

    def __init__(self,
                 num_samples: int,
                 num_negatives: int = 16384,
                 embed_dim: int = 128,
                 tau: float = 0.07,
                 momentum: float = 0.5,
                 eps: float = 1e-7,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        self.num_samples = check_count(owner, 'num_samples', num_samples, 1)
        self.num_negatives = check_count(owner, 'num_negatives', num_negatives,
                                         1)
        self.embed_dim = check_count(owner, 'embed_dim', embed_dim, 1)
        self.tau = check_range(owner, 'tau', tau, 0, low_open=True)
        # A momentum of 1 would never write an embedding into the banks.
        self.momentum = check_range(owner,
                                    'momentum',
                                    momentum,
                                    0,
                                    1,
                                    high_open=True)
        self.eps = check_range(owner, 'eps', eps, 0)
        self.loss_weight = check_range(owner, 'loss_weight', loss_weight, 0)
        # Uniform in [-s, s] with s = 1 / sqrt(D / 3): rows of about unit
        # norm, as the paper's code initialises the banks.
        bound = 1.0 / math.sqrt(embed_dim / 3)
        for name in ('memory_student', 'memory_teacher'):
            bank = torch.rand(num_samples, embed_dim) * 2 * bound - bound
            self.register_buffer(name, bank)
        # Partition constants (student anchor, teacher anchor); negative
        # until the first call sets them. Saved, so a resumed run keeps them.
        self.register_buffer('normalizers', torch.full((2, ), -1.0))
        # Whether the normalizers are known to be set (or restored from a
        # checkpoint): read from the device once, not at every step.
        self._normalizers_known = False

    def _indices(self, data_samples: Sequence, batch: int,
                 device: torch.device):
        owner = type(self).__name__
        if len(data_samples) != batch:
            raise ValueError(f'{owner}: {len(data_samples)} data samples '
                             f'for a batch of {batch} embeddings')
        try:
            # Indices are checked on the host, where they come from: no
            # device synchronisation.
            index = [int(s.metainfo['sample_idx']) for s in data_samples]
        except KeyError:
            raise ValueError(
                f'{owner}: a data sample has no sample_idx; wrap the training '
                'set in CRDDataset') from None
        self._check_index(owner, 'sample_idx', torch.tensor(index))
        index = torch.tensor(index, device=device)
        if 'contrast_idx' in data_samples[0]:
            contrast = torch.stack(
                [s.contrast_idx for s in data_samples]).long()
            expected = (batch, self.num_negatives + 1)
            if tuple(contrast.shape) != expected:
                raise ValueError(
                    f'{owner}: contrast_idx of the batch has the shape '
                    f'{shape_of(contrast)}, expected {expected} (the '
                    f'positive and num_negatives={self.num_negatives}); set '
                    "CRDDataset's num_negatives to the loss's")
            self._check_index(owner, 'contrast_idx', contrast.cpu())
            contrast = contrast.to(device)
        else:
            contrast = torch.randint(
                self.num_samples, (batch, self.num_negatives + 1),
                device=device)
            contrast[:, 0] = index
        return index, contrast

    def _load_from_state_dict(self, *args, **kwargs) -> None:
        # Loaded normalizers may be unset: read them again at the next step.
        self._normalizers_known = False
        super()._load_from_state_dict(*args, **kwargs)

    def _check_index(self, owner: str, name: str, value: Tensor) -> None:
        if bool(((value < 0) | (value >= self.num_samples)).any()):
            raise ValueError(
                f'{owner}: {name} values in [{int(value.min())}, '
                f'{int(value.max())}] do not fit a memory of '
                f'num_samples={self.num_samples}; set num_samples to '
                'the size of the training set')

    def _nce(self, probs: Tensor) -> Tensor:
        noise = self.num_negatives / self.num_samples
        positive = torch.log(probs[:, 0] / (probs[:, 0] + noise + self.eps))
        negative = torch.log(noise / (probs[:, 1:] + noise + self.eps))
        return -(positive.sum() + negative.sum()) / probs.shape[0]

    @torch.no_grad()
    def _update(self, bank: Tensor, index: Tensor, embedding: Tensor) -> None:
        index = torch.cat(dist.all_gather(index))
        embedding = torch.cat(dist.all_gather(embedding.detach().contiguous()))
        rows = bank[index] * self.momentum \
            + embedding.to(bank.dtype) * (1 - self.momentum)
        bank.index_copy_(0, index, rows / rows.norm(dim=1, keepdim=True))

    def forward(self, preds_S: Tensor, preds_T: Tensor,
                data_samples: Sequence) -> Tensor:
        """Compute the loss and update the memory banks.

        Args:
            preds_S (Tensor): Student embeddings (B, embed_dim).
            preds_T (Tensor): Teacher embeddings (B, embed_dim).
            data_samples (Sequence): the batch's data samples, with
                ``sample_idx`` and, optionally, ``contrast_idx`` (K + 1,).

        Returns:
            Tensor: A scalar.
        """
        owner = type(self).__name__
        expected = (preds_S.shape[0], self.embed_dim)
        if (preds_S.dim() != 2 or tuple(preds_S.shape) != expected
                or preds_T.shape != preds_S.shape):
            raise ValueError(
                f'{owner}: embeddings must be (B, {self.embed_dim}), got '
                f'student {shape_of(preds_S)} and teacher '
                f'{shape_of(preds_T)}; check the connectors\' embed_dim')
        batch = preds_S.shape[0]
        index, contrast = self._indices(data_samples, batch,
                                        self.memory_student.device)
        dtype = compute_dtype(preds_S, preds_T)
        # exp(1 / tau) is about 1.6e6 at tau 0.07: beyond half precision, so
        # autocast stays off here.
        with torch.autocast(preds_S.device.type, enabled=False):
            loss = self._contrast(preds_S.to(dtype), preds_T.to(dtype),
                                  contrast)
        self._update(self.memory_student, index, preds_S)
        self._update(self.memory_teacher, index, preds_T)
        return loss * self.loss_weight

    def _contrast(self, student: Tensor, teacher: Tensor,
                  contrast: Tensor) -> Tensor:
        batch, dtype = student.shape[0], student.dtype
        flat = contrast.reshape(-1)
        teacher_rows = self.memory_teacher[flat].to(dtype).view(
            batch, -1, self.embed_dim)
        student_rows = self.memory_student[flat].to(dtype).view(
            batch, -1, self.embed_dim)
        scores_S = torch.exp(
            torch.einsum('bkd,bd->bk', teacher_rows, student) / self.tau)
        scores_T = torch.exp(
            torch.einsum('bkd,bd->bk', student_rows, teacher) / self.tau)
        if not self._normalizers_known and bool(
                (self.normalizers < 0).any()):
            with torch.no_grad():
                first = torch.stack([scores_S.mean(), scores_T.mean()])
                first = first.to(self.normalizers.dtype) * self.num_samples
                dist.all_reduce(first, op='mean')
                self.normalizers.copy_(first)
        self._normalizers_known = True
        normalizers = self.normalizers.to(dtype)
        return self._nce(scores_S / normalizers[0]) \
            + self._nce(scores_T / normalizers[1])
