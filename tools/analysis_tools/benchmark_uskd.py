"""Cost of NKD and USKD next to what they are added to, measured side by side.

Every case runs in the same process, interleaved (case A, case B, case A, ...)
so that load on a shared machine hits all cases alike; the figures are medians
of the repeats and the ratios are what matters.

    python tools/analysis_tools/benchmark_uskd.py [--repeats 15]
        [--device cpu|cuda] [--step-batch 16] [--skip-step]
"""
import argparse
from typing import Callable, Dict

import torch
import torch.nn.functional as F

import mmcls_kd  # noqa: F401
from mmcls_kd.apis.timing import interleaved_medians
from mmcls_kd.models.losses import NKDLoss, USKDLoss


def loss_cases(n: int, c: int, device: str) -> Dict[str, Callable[[], None]]:
    g = torch.Generator(device='cpu').manual_seed(0)
    student = torch.randn(n, c, generator=g).to(device)
    teacher = torch.randn(n, c, generator=g).to(device)
    weak = torch.randn(n, c, generator=g).to(device)
    labels = torch.randint(0, c, (n, ), generator=g).to(device)
    nkd, uskd = NKDLoss(), USKDLoss()

    def backward(loss_fn):
        def run():
            s = student.clone().requires_grad_(True)
            w = weak.clone().requires_grad_(True)
            loss_fn(s, w).backward()
        return run

    def argsort():
        torch.argsort(student, dim=1, descending=True)

    return {
        'cross-entropy': backward(lambda s, w: F.cross_entropy(s, labels)),
        'NKDLoss': backward(lambda s, w: nkd(s, teacher, labels)),
        'USKDLoss': backward(lambda s, w: uskd(s, labels, w)),
        'argsort': argsort,
    }


def step_cases(batch: int, device: str) -> Dict[str, Callable[[], None]]:
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.optim import OptimWrapper
    from mmpretrain.structures import DataSample

    from mmcls_kd.apis import build_model

    def build(path):
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel('WARNING')  # init_weights logs every parameter
        model = build_model(Config.fromfile(path)).to(device)
        logger.setLevel(level)
        return model, OptimWrapper(
            torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))

    plain, plain_optim = build('configs/baseline/resnet18_8xb32_in1k.py')
    uskd, uskd_optim = build('configs/uskd/uskd_resnet18_8xb32_in1k.py')
    uskd.student.load_state_dict(plain.state_dict())
    g = torch.Generator().manual_seed(0)
    data = dict(
        inputs=[torch.randint(0, 256, (3, 224, 224), generator=g,
                              dtype=torch.uint8) for _ in range(batch)],
        data_samples=[DataSample().set_gt_label(int(i)) for i in
                      torch.randint(0, 1000, (batch, ), generator=g)])
    return {
        'ResNet-18 step, cross-entropy':
        lambda: plain.train_step(data, plain_optim),
        'ResNet-18 step, USKD': lambda: uskd.train_step(data, uskd_optim),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=15)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--step-batch', type=int, default=16)
    parser.add_argument('--skip-step', action='store_true')
    args = parser.parse_args()
    if args.repeats < 10:
        parser.error('--repeats must be at least 10')
    torch.manual_seed(0)
    print(f'device {args.device}, torch {torch.__version__}, '
          f'{torch.get_num_threads()} threads, medians of {args.repeats} '
          'interleaved repeats')
    for n, c in ((256, 1000), (64, 100)):
        t = interleaved_medians(loss_cases(n, c, args.device), args.repeats,
                                args.device)
        print(f'\nlogits ({n}, {c}), forward + backward:')
        for name, value in t.items():
            print(f'  {name:<16} {value * 1e3:8.3f} ms')
        ce = t['cross-entropy']
        print(f'  NKDLoss / cross-entropy   {t["NKDLoss"] / ce:6.2f}x')
        print(f'  USKDLoss / cross-entropy  {t["USKDLoss"] / ce:6.2f}x')
        goal = '   (goal <= 1.6x)' if (n, c) == (256, 1000) else ''
        ratio = t['USKDLoss'] / t['argsort']
        print(f'  USKDLoss / argsort        {ratio:6.2f}x{goal}')
    if args.skip_step:
        return
    model_repeats = max(10, args.repeats // 2)
    t = interleaved_medians(step_cases(args.step_batch, args.device),
                            model_repeats, args.device)
    print(f'\none training step, ResNet-18, {args.step_batch} images of '
          f'224x224 (medians of {model_repeats}):')
    for name, value in t.items():
        print(f'  {name:<32} {value * 1e3:9.1f} ms')
    ratio = t['ResNet-18 step, USKD'] / t['ResNet-18 step, cross-entropy']
    print(f'  USKD step / plain step    {ratio:6.3f}x   (goal <= 1.02x)')


if __name__ == '__main__':
    main()
