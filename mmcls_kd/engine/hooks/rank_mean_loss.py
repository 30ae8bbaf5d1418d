"""Log the loss of the whole distributed batch, not rank 0's share."""
import zlib

import torch
import torch.distributed as torch_dist
from mmengine.dist import get_world_size, is_distributed
from mmengine.hooks import Hook

from mmcls_kd.registry import HOOKS


@HOOKS.register_module()
class RankMeanLossHook(Hook):
    """Replace each logged value of a training iteration (``loss``, every
    loss term, any other scalar the model logs) by its mean over the ranks.

    MMEngine logs rank 0's values, the loss of 1/world_size of the batch.
    With equal per-rank batches the mean of the per-rank batch means is the
    loss of the whole batch, which a single process on that batch would
    log. It runs before the other hooks, so ``FiniteLossHook`` sees a NaN
    of any rank on every rank and all ranks stop together instead of the
    others waiting for the stopped one. Outside distributed runs it does
    nothing. ``KDRunner`` adds it to every run.

    Raises ``RuntimeError`` on all ranks when the ranks log different names,
    instead of a collective of mismatched sizes that hangs.
    """

    priority = 'HIGHEST'

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if not outputs or not is_distributed():
            return
        names = list(outputs)
        values = [torch.as_tensor(outputs[n]).detach() for n in names]
        device = values[0].device
        # Identical on every rank exactly when the names are: compared via
        # MAX of (x, -x), i.e. max and min at once.
        crc = float(zlib.crc32('\0'.join(names).encode()))
        signature = torch.tensor([len(names), crc], dtype=torch.float64,
                                 device=device)
        extremes = torch.cat([signature, -signature])
        torch_dist.all_reduce(extremes, op=torch_dist.ReduceOp.MAX)
        if not (torch.equal(extremes[:2], signature)
                and torch.equal(-extremes[2:], signature)):
            raise RuntimeError(
                f'ranks log different values at iteration {runner.iter + 1}; '
                f'this rank logs {names}. A model must return the same loss '
                'names on every rank.')
        stacked = torch.stack(
            [v.to(device=device, dtype=torch.float64) for v in values])
        torch_dist.all_reduce(stacked)
        stacked /= get_world_size()
        for name, value, mean in zip(names, values, stacked):
            outputs[name] = mean.to(value.dtype)
