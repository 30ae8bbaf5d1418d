"""Open every image of a config's data sets and list the unreadable ones.

    python tools/misc/check_dataset.py CONFIG [--splits train val test]
        [--cfg-options key=value ...]

Exits 1 when an image cannot be read or decoded, so that a corrupted file
stops a job script before the training run, not an epoch into it.
"""
import argparse
import sys

from mmengine.config import DictAction


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='List the unreadable images of a config\'s data sets')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--splits',
                        nargs='+',
                        choices=['train', 'val', 'test'],
                        default=['train', 'val', 'test'],
                        help='the data loaders whose data sets are checked')
    parser.add_argument('--cfg-options',
                        nargs='+',
                        action=DictAction,
                        help='override config values')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import mmcls_kd  # noqa: F401  (registration)
    from mmcls_kd.apis import load_config
    from mmcls_kd.datasets.check import unreadable_images
    from mmcls_kd.registry import DATASETS
    from mmengine.registry import init_default_scope

    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    bad = 0
    for split in args.splits:
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            print(f'{split}: no {split}_dataloader in the config')
            continue
        dataset = DATASETS.build(loader['dataset'])
        checked, failures = unreadable_images(dataset)
        if checked == 0:
            print(f'{split}: {len(dataset)} samples held in memory, no image '
                  'files to open')
            continue
        print(f'{split}: {checked} images opened, {len(failures)} unreadable')
        for path, reason in failures:
            print(f'  {path}: {reason}')
        bad += len(failures)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
