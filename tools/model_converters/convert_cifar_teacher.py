"""Convert a CIFAR-100 teacher released with CRD / DKD into a checkpoint
that this package's configs load (``load_from`` or a distiller's
``teacher_ckpt``).

    python tools/model_converters/convert_cifar_teacher.py \
        resnet32x4_vanilla/ckpt_epoch_240.pth resnet32x4_cifar100.pth \
        --arch resnet32x4

The input is read without running code from the file (see
``mmcls_kd.checkpoint.trust``). The output holds ``state_dict`` and a
``meta`` entry whose ``model`` is the ``ImageClassifier`` config it fits,
and loads weights-only.
"""
import argparse
import os.path as osp
import pickle
import sys

from mmcls_kd.checkpoint import read_state_dict, save_checkpoint
from mmcls_kd.checkpoint.convert.cifar_zoo import (ARCHS, classifier_config,
                                                   convert)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='checkpoint released with CRD / DKD')
    parser.add_argument('dst', help='where to write the converted checkpoint')
    parser.add_argument(
        '--arch', required=True,
        help=f'CRD model name (case-insensitive): {", ".join(ARCHS)}')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    try:
        state_dict, _ = read_state_dict(args.src)
        converted = convert(state_dict, args.arch)
    except (ValueError, RuntimeError, OSError, pickle.UnpicklingError) as err:
        sys.exit(f'{args.src}: {err}')
    num_classes = converted['head.fc.weight'].shape[0]
    meta = dict(
        arch=args.arch.lower(),
        source=osp.basename(args.src),
        model=classifier_config(args.arch, num_classes))
    save_checkpoint(dict(state_dict=converted, meta=meta), args.dst)
    print(f'{args.src} ({args.arch}, {num_classes} classes) -> {args.dst}')


if __name__ == '__main__':
    main()
