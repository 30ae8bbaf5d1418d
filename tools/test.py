"""Evaluate a checkpoint.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE]
        [--cfg-options key=value ...] [--launcher {none,pytorch,slurm,mpi}]
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test with mmcls_kd')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where the test log goes')
    parser.add_argument(
        '--out', help='also write the metrics to this JSON/YAML file')
    parser.add_argument(
        '--data-root',
        help='the data root of every data set the run reads (training and '
        'validation, or test), wrapped ones included')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config values')
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


def main(argv=None) -> dict:
    args = parse_args(argv)
    # The training stack is imported after the arguments are read, so that
    # --help and argument errors answer at once.
    import mmcls_kd  # noqa: F401  (fixes and registration first)
    from mmcls_kd.apis import build_runner, load_config
    from mmcls_kd.apis.runner_utils import launcher_problem
    from mmcls_kd.engine.dist import close_process_group
    from mmcls_kd.engine.preflight import set_data_root
    from mmengine.fileio import dump
    problem = launcher_problem(args.launcher)
    if problem is not None:
        args.parser.error(problem)
    if not osp.isfile(args.checkpoint) and not args.checkpoint.startswith(
            ('http://', 'https://')):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    cfg.resume = False
    # Evaluation only: no optimizer, and no work dir lock, so a checkpoint
    # can be evaluated while its run goes on training into the same dir.
    cfg.train_dataloader = cfg.train_cfg = cfg.optim_wrapper = None
    cfg.param_scheduler = None
    if args.data_root is not None:
        set_data_root(cfg, args.data_root)
    runner = build_runner(cfg)
    metrics = runner.test()
    rank = runner.rank
    del runner  # its DDP wrapper holds the gloo group: close_process_group
    close_process_group()
    if args.out and rank == 0:
        dump(dict(config=args.config, checkpoint=args.checkpoint,
                  metrics=metrics), args.out)
    return metrics


if __name__ == '__main__':
    main()
