"""What the reliability tests share: toy configs, logs and checkpoints."""
import json
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List

import torch

from tests.conftest import QUICK, REPO, tool_env

NKD_CONFIG = osp.join(QUICK, 'nkd_resnet34-w32_resnet18-w16_1xb32_digits.py')
USKD_CONFIG = osp.join(QUICK, 'uskd_resnet18-w16_1xb32_digits.py')


def write_config(path, base: str, body: str = '') -> str:
    """A config file inheriting ``base`` with ``body`` appended."""
    with open(path, 'w') as f:
        f.write(f'_base_ = [{str(base)!r}]\n{body}')
    return str(path)


def scalars(work_dir) -> Dict[int, dict]:
    """Training rows of every run under ``work_dir`` by iteration; a later
    run (a resume) overwrites the rows of the iterations it repeats."""
    rows = {}
    runs = sorted(d for d in os.listdir(work_dir)
                  if osp.isdir(osp.join(work_dir, d)))
    for run in runs:
        path = osp.join(work_dir, run, 'vis_data', 'scalars.json')
        if not osp.exists(path):
            continue
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                if 'loss' in row:
                    rows[row['iter']] = row
    return rows


def loss_names(rows: Dict[int, dict]) -> List[str]:
    return sorted(k for k in next(iter(rows.values())) if 'loss' in k)


def load_own_checkpoint(path) -> dict:
    """A checkpoint the test's own run wrote, loaded in full."""
    from mmcls_kd.checkpoint import load_checkpoint_file, trusted_checkpoint
    with trusted_checkpoint(str(path)):
        return load_checkpoint_file(str(path))


def max_weight_diff(state_a: dict, state_b: dict) -> float:
    """Largest absolute difference over the floating-point entries."""
    assert state_a.keys() == state_b.keys()
    return max((state_a[k].double() - state_b[k].double()).abs().max().item()
               for k in state_a if state_a[k].is_floating_point())


def dist_train(config, work_dir, port: int, options=(), nproc: int = 2):
    """``tools/dist_train.sh`` with ``nproc`` CPU ranks."""
    env = tool_env()
    env.pop('MMCLS_KD_TRUST_CHECKPOINTS', None)
    env['PORT'] = str(port)
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env['PATH']
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', str(config), str(nproc),
         '--work-dir', str(work_dir), '--no-validate', '--cfg-options'] +
        list(options),
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout[-3000:] + '\n' +
                                  proc.stderr[-6000:])
    return proc


def train_in_process(config, work_dir, options: dict):
    """Train in this process with one thread, as the tools' processes do."""
    from mmcls_kd.apis import build_runner, load_config
    cfg = load_config(str(config), {
        'work_dir': str(work_dir),
        'experiment_name': osp.basename(str(work_dir)),
        'val_cfg': None, 'val_dataloader': None, 'val_evaluator': None,
        **options
    })
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        build_runner(cfg).train()
    finally:
        torch.set_num_threads(threads)


# Argument names of loss ``forward`` methods that tests can synthesise.
LOGIT_ARGS = ('preds_S', 'preds_T', 'preds_W')
LABEL_ARG = 'gt_labels'
# Arguments the tests fix to a value: CTKD's temperature (what its
# temperature module hands the loss), at the official initial value.
FIXED_ARGS = {'temperature': 4.0}


class WithFixedArgs(torch.nn.Module):
    """A loss called with some of its ``forward`` arguments fixed (held as
    buffers, so that they move with the loss to a device)."""

    def __init__(self, loss: torch.nn.Module, **fixed: float) -> None:
        super().__init__()
        self.loss = loss
        self.fixed = list(fixed)
        for name, value in fixed.items():
            self.register_buffer(name, torch.tensor(value))

    def forward(self, **inputs):
        return self.loss(**inputs,
                         **{name: getattr(self, name) for name in self.fixed})


def build_loss_or_skip(name: str):
    """``mmcls_kd.models.losses.<name>`` built with its defaults and the
    arguments of its ``forward`` that are synthesisable (those of
    ``FIXED_ARGS`` are fixed in the returned module); skips the test with
    the reason when the loss needs more."""
    import inspect

    import pytest

    import mmcls_kd.models.losses as losses
    cls = getattr(losses, name)
    try:
        loss = cls()
    except TypeError as err:
        pytest.skip(f'{name} cannot be built with its defaults: {err}')
    params = inspect.signature(loss.forward).parameters
    known = LOGIT_ARGS + (LABEL_ARG, )
    unknown = [p.name for p in params.values()
               if p.name not in known + tuple(FIXED_ARGS)
               and p.default is inspect.Parameter.empty
               and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if unknown:
        pytest.skip(f'{name}.forward needs {unknown}, which this test '
                    'cannot synthesise')
    fixed = {arg: value for arg, value in FIXED_ARGS.items()
             if arg in params and params[arg].default is
             inspect.Parameter.empty}
    if fixed:
        loss = WithFixedArgs(loss, **fixed)
    return loss, [p for p in params if p in known]


def _pair_case(name, student_shape, teacher_shape):
    """A loss of ``name`` built with its defaults on a student and a teacher
    feature of the given shapes."""

    def case(gen):
        import mmcls_kd.models.losses as losses
        return getattr(losses, name)(), {
            'preds_S': torch.randn(student_shape, generator=gen),
            'preds_T': torch.randn(teacher_shape, generator=gen)
        }, {}

    return case


def _vid_case(gen):
    from mmcls_kd.models.losses import VIDLoss
    # The connector's (mean, variance), cast and differentiated together.
    return VIDLoss(), {
        'preds_S': [torch.randn(8, 6, 4, 4, generator=gen),
                    torch.rand(6, generator=gen) + 0.5],
        'preds_T': torch.randn(8, 6, 4, 4, generator=gen)
    }, {}


def _same_shape_case(cls, shape, **options):
    """A loss of one student and one teacher feature map."""
    def case(gen):
        return cls(**options), {
            name: torch.randn(shape, generator=gen)
            for name in ('preds_S', 'preds_T')
        }, {}
    return case


def _stages_case(cls):
    """A loss of lists of feature maps, shallow to deep."""
    def case(gen):
        shapes = [(4, 3, 4, 4), (4, 5, 4, 4), (4, 6, 2, 2)]
        return cls(), {
            name: [torch.randn(s, generator=gen) for s in shapes]
            for name in ('preds_S', 'preds_T')
        }, {}
    return case


def _crd_case(gen):
    from mmengine.structures import BaseDataElement

    from mmcls_kd.models.losses import CRDLoss
    # The memory bank starts random (torch's generator): the same one for
    # every run of the case.
    torch.manual_seed(0)
    loss = CRDLoss(num_samples=32, num_negatives=16, embed_dim=16)
    samples = [
        BaseDataElement(metainfo=dict(
            sample_idx=i, contrast_idx=torch.arange(17) + i))
        for i in range(8)
    ]
    embed = {name: torch.nn.functional.normalize(
        torch.randn(8, 16, generator=gen), dim=1)
        for name in ('preds_S', 'preds_T')}
    return loss, embed, dict(data_samples=samples)


def _ofd_case(gen):
    from mmcls_kd.models.losses import OFDLoss
    features = {name: torch.randn(8, 6, 4, 4, generator=gen)
                for name in ('preds_S', 'preds_T')}
    bn = dict(bn_weight=torch.rand(6, generator=gen) + 0.5,
              bn_bias=torch.randn(6, generator=gen))
    return OFDLoss(), features, bn


def _hcl_case(gen):
    from mmcls_kd.models.losses import HCLLoss
    shapes = [(8, 4, 8, 8), (8, 6, 4, 4), (8, 6, 1, 1)]
    # A list input: one entry per stage, cast and differentiated together.
    return HCLLoss(), {
        'preds_S': [torch.randn(s, generator=gen) for s in shapes],
        'preds_T': [torch.randn(s, generator=gen) for s in shapes]
    }, {}


def _rkd_case(gen):
    from mmcls_kd.models.losses import RKDAngleLoss
    return RKDAngleLoss(), {name: torch.randn(8, 12, generator=gen)
                            for name in ('preds_S', 'preds_T')}, {}


def _zipf_case(gen):
    from mmcls_kd.models.losses import ZipfLSLoss
    classes = 10
    inputs = dict(preds_S=3 * torch.randn(8, classes, generator=gen),
                  feat=torch.randn(8, 6, 3, 3, generator=gen),
                  fc_weight=torch.randn(classes, 6, generator=gen),
                  fc_bias=torch.randn(classes, generator=gen))
    labels = torch.arange(8) % classes
    return ZipfLSLoss(correct_only=False), inputs, dict(gt_labels=labels)


#: Losses whose inputs are not only logits and labels: name -> a function
#: of a torch.Generator giving (loss, float inputs, other inputs). CRD's
#: embeddings are unit vectors by contract (its connectors normalise them),
#: so it is not scaled up in the large-input test.
def _feature_cases():
    from mmcls_kd.models.losses import (ABLoss, FSPLoss, FTLoss, KDSVDLoss,
                                        NSTLoss)
    return {
        'ABLoss': _same_shape_case(ABLoss, (4, 6, 3, 3)),
        'FSPLoss': _stages_case(FSPLoss),
        'FTLoss': _same_shape_case(FTLoss, (4, 6, 3, 3),
                                   pool_channels=True),
        'KDSVDLoss': _stages_case(KDSVDLoss),
        'NSTLoss': _same_shape_case(NSTLoss, (4, 6, 3, 3)),
    }


FEATURE_CASES = {
    'ATLoss': _pair_case('ATLoss', (8, 6, 4, 4), (8, 10, 4, 4)),
    'CCLoss': _pair_case('CCLoss', (8, 16), (8, 16)),
    **_feature_cases(),
    'CRDLoss': _crd_case,
    'FitNetLoss': _pair_case('FitNetLoss', (8, 6, 4, 4), (8, 6, 4, 4)),
    'HCLLoss': _hcl_case,
    'OFDLoss': _ofd_case,
    'PKTLoss': _pair_case('PKTLoss', (8, 12), (8, 20)),
    'RKDAngleLoss': _rkd_case,
    'SPLoss': _pair_case('SPLoss', (8, 6, 4, 4), (8, 10, 2, 2)),
    'VIDLoss': _vid_case,
    'ZipfLSLoss': _zipf_case,
}
