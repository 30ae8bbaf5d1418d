"""Run a distillation config's teacher once over its training set and store
its logits, for runs that read them instead (``model.teacher_cache=DIR``).

    python tools/cache_teacher.py CONFIG --epochs E --out DIR
        [--dtype float16|float32] [--topk K] [--batch-size N]
        [--cfg-options key=value ...] [--launcher {none,pytorch,slurm,mpi}]

The images are those the student sees: augmentation seeded by (seed, epoch,
sample), so the run must use the same seed and pipeline (the manifest
records them and the run is checked against it). Killed, it continues where
it stopped when started again with the same arguments.
"""
import argparse
import os
import sys

from mmengine.config import DictAction


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Cache the teacher logits of a distillation config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--epochs', type=int, required=True,
                        help='epochs to cache (at least the run\'s)')
    parser.add_argument('--out', required=True, help='the cache directory')
    parser.add_argument('--dtype', choices=['float16', 'float32'],
                        default='float16', help='stored precision')
    parser.add_argument('--topk', type=int,
                        help='keep the K largest logits of each row (and '
                        'what restores the rest at the losses\' '
                        'temperature) instead of all')
    parser.add_argument('--batch-size', type=int,
                        help='teacher batch (default: the config\'s)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config values')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm',
                                               'mpi'], default='none',
                        help='job launcher')
    args = parser.parse_args(argv)
    args.parser = parser
    if args.epochs < 1:
        parser.error('--epochs must be at least 1')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    import mmcls_kd  # noqa: F401  (fixes and registration first)
    from mmcls_kd.apis import load_config
    from mmcls_kd.apis.runner_utils import launcher_problem
    from mmcls_kd.cache import build_cache
    from mmcls_kd.engine.dist import close_process_group, init_cpu_dist
    from mmengine.registry import init_default_scope
    problem = launcher_problem(args.launcher)
    if problem is not None:
        args.parser.error(problem)
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmcls_kd'))
    if args.launcher != 'none':
        import torch
        if torch.cuda.is_available():
            from mmengine.dist import init_dist
            init_dist(args.launcher)
        else:
            init_cpu_dist(args.launcher)
    manifest = build_cache(cfg, args.out, args.epochs, args.dtype,
                           args.batch_size, topk=args.topk)
    if int(os.environ.get('RANK', 0)) == 0:
        top1 = manifest.get('teacher_accuracy')
        shown = f'{top1:.2f}' if top1 is not None else 'not measured'
        print(f'wrote {args.epochs} epoch(s) of teacher logits to '
              f'{args.out} ({manifest["dtype"]}, {manifest["num_samples"]} '
              f'x {manifest["num_classes"]}); teacher top-1 {shown}')
    close_process_group()
    return 0


if __name__ == '__main__':
    sys.exit(main())
