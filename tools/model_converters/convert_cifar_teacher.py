"""Convert a CIFAR-100 teacher released with CRD / DKD into a checkpoint
that this package's configs load (``load_from`` or a distiller's
``teacher_ckpt``).

    python tools/model_converters/convert_cifar_teacher.py \
        resnet32x4_vanilla/ckpt_epoch_240.pth resnet32x4_cifar100.pth \
        --arch resnet32x4

The input is read without running code from the file (see
``mmcls_kd.compat.checkpoint``). The output holds ``state_dict`` and a
``meta`` entry whose ``model`` is the ``ImageClassifier`` config it fits.
"""
import argparse
import os
import os.path as osp
import pickle
import sys

import torch

from mmcls_kd.compat import load_checkpoint_file
from mmcls_kd.models.backbones.cifar_convert import (ARCHS, classifier_config,
                                                     convert,
                                                     extract_state_dict)


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
        state_dict = extract_state_dict(load_checkpoint_file(args.src))
        converted = convert(state_dict, args.arch)
    except (ValueError, RuntimeError, OSError, pickle.UnpicklingError) as err:
        sys.exit(f'{args.src}: {err}')
    num_classes = converted['head.fc.weight'].shape[0]
    meta = dict(
        arch=args.arch.lower(),
        source=osp.basename(args.src),
        model=classifier_config(args.arch, num_classes))
    if osp.dirname(args.dst):
        os.makedirs(osp.dirname(args.dst), exist_ok=True)
    torch.save(dict(state_dict=converted, meta=meta), args.dst)
    print(f'{args.src} ({args.arch}, {num_classes} classes) -> {args.dst}')


if __name__ == '__main__':
    main()
