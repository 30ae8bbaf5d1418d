"""Train a model (a distillation algorithm or a plain classifier).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--auto-scale-lr] [--cfg-options key=value ...]
        [--launcher {none,pytorch,slurm,mpi}]
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train with mmcls_kd')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from CKPT, or from the latest checkpoint of the work '
        'dir when no path is given')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision: fp16 on GPUs, bf16 on CPUs (DOT: its own)')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the actual total batch size over '
        'auto_scale_lr.base_batch_size')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--data-root',
        help='the data root of every data set the run reads (training and '
        'validation, or test), wrapped ones included')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config values, e.g. '
        'model.distiller.distill_losses.loss_kd.tau=2')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    args.parser = parser
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    # The training stack is imported after the arguments are read, so that
    # --help and argument errors answer at once.
    import mmcls_kd  # noqa: F401  (fixes and registration first)
    from mmcls_kd.apis import build_runner, load_config
    from mmcls_kd.apis.runner_utils import (enable_amp_everywhere,
                                            launcher_problem)
    from mmcls_kd.engine.dist import close_process_group
    from mmcls_kd.engine.preflight import set_data_root
    problem = launcher_problem(args.launcher)
    if problem is not None:
        args.parser.error(problem)
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        enable_amp_everywhere(cfg)
    if args.auto_scale_lr:
        cfg.setdefault('auto_scale_lr', {})['enable'] = True
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.data_root is not None:
        set_data_root(cfg, args.data_root)
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    runner = build_runner(cfg)
    # Every checkpoint is read weights-only, --resume PATH too: training
    # checkpoints need no trust (PlainCheckpointHook).
    runner.train()
    del runner  # its DDP wrapper holds the gloo group: close_process_group
    close_process_group()


if __name__ == '__main__':
    main()
