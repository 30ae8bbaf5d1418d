"""Export a student classifier to ONNX and TorchScript, checked against
PyTorch.

    python tools/deployment/export_student.py CONFIG CHECKPOINT --out-dir DIR
        [--formats onnx torchscript] [--input-size H W] [--normalized-input]
        [--opset 17] [--atol 1e-4] [--cfg-options key=value ...]
"""
import argparse
import importlib.util
import os
import os.path as osp
import pickle
import sys
from typing import Dict, List, Optional, Tuple

import torch

import mmcls_kd  # noqa: F401  (fixes and registration before anything else)
from mmcls_kd.apis import build_model, load_config, model_config
from mmcls_kd.apis.deploy import (OPSET, RawImageClassifier, export_onnx,
                                  export_torchscript, pipeline_input_size,
                                  run_onnx)
from mmengine.config import Config, DictAction

EPILOG = """\
CHECKPOINT is a classifier checkpoint: a distillation checkpoint converted
with tools/model_converters/extract_student.py (--mode classifier), or any
checkpoint of the classifier of CONFIG. CONFIG is the student's config or
the distillation config it was trained with (its model.architecture).

The exported graph maps `image` (float32, N x C x H x W, dynamic N) to
`logits` (N x num_classes, before softmax). By default the data
preprocessor is inside the graph: feed raw images, values 0-255, in the
channel order the test pipeline loads them (BGR for MMPretrain's ImageNet
configs; the graph flips to RGB when the config sets to_rgb), then
(x - mean) / std is applied inside. With --normalized-input the graph takes
the preprocessor's output instead.

H x W is fixed: by default the size of the images the config's test
pipeline (else its validation pipeline) hands the model, e.g. 224 x 224 for
MMPretrain's ImageNet configs, 32 x 32 for CIFAR and 8 x 8 for the
quick-start digits; --input-size sets it, and is needed when the pipeline
ends in no fixed size.

Each exported file is run on a fresh batch of 2 images and compared with
PyTorch: TorchScript always, ONNX when onnxruntime is installed
(pip install -r requirements/export.txt).
"""


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export a student classifier to ONNX and TorchScript',
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='student or distillation config')
    parser.add_argument('checkpoint', help='classifier checkpoint')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument(
        '--formats',
        nargs='+',
        choices=['onnx', 'torchscript'],
        default=['onnx', 'torchscript'])
    parser.add_argument(
        '--input-size',
        nargs=2,
        type=int,
        metavar=('H', 'W'),
        help='image height and width the graph is traced at (ONNX keeps '
        'them fixed; only the batch is dynamic). Defaults to the size the '
        "config's test pipeline gives")
    parser.add_argument(
        '--normalized-input',
        action='store_true',
        help='leave the data preprocessor out of the graph')
    parser.add_argument('--opset', type=int, default=OPSET)
    parser.add_argument(
        '--atol',
        type=float,
        default=1e-4,
        help='largest allowed |exported - PyTorch| of the logits')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config values')
    return parser.parse_args(argv)


def _input_size(args: argparse.Namespace, cfg: Config) -> Tuple[int, int]:
    if args.input_size:
        return tuple(args.input_size)
    try:
        return pipeline_input_size(cfg)
    except ValueError as err:
        raise ValueError(f'{err}; pass --input-size H W') from err


def _images(args: argparse.Namespace, channels: int, size: Tuple[int, int],
            batch: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    shape = (batch, channels, *size)
    if args.normalized_input:
        return torch.randn(shape, generator=generator)
    return torch.randint(0, 256, shape, generator=generator).float()


def export(args: argparse.Namespace) -> Dict[str, Optional[float]]:
    """Export and check; returns format -> max |exported - PyTorch| (None
    when the check could not run)."""
    if 'onnx' in args.formats and importlib.util.find_spec('onnx') is None:
        raise RuntimeError('ONNX export needs the onnx package: pip install '
                           '-r requirements/export.txt, or pass --formats '
                           'torchscript')
    cfg = load_config(args.config, args.cfg_options)
    size = _input_size(args, cfg)
    classifier = build_model(cfg, args.checkpoint, student=True)
    backbone = model_config(cfg, student=True).get('backbone') or {}
    channels = backbone.get('in_channels', 3)
    model = RawImageClassifier(
        classifier, preprocess=not args.normalized_input,
        in_channels=channels).eval()
    example = _images(args, channels, size, batch=1, seed=0)
    # A batch size other than the traced one checks the dynamic batch too.
    check = _images(args, channels, size, batch=2, seed=1)
    print(f'Input: N x {channels} x {size[0]} x {size[1]}' +
          ('' if args.input_size else " (the config's test pipeline)"))
    with torch.no_grad():
        expected = model(check)

    os.makedirs(args.out_dir, exist_ok=True)
    stem = osp.join(args.out_dir,
                    osp.splitext(osp.basename(args.checkpoint))[0])
    errors: Dict[str, Optional[float]] = {}
    if 'torchscript' in args.formats:
        path = stem + '.torchscript.pt'
        export_torchscript(model, example, path)
        with torch.no_grad():
            got = torch.jit.load(path)(check)
        errors['torchscript'] = (got - expected).abs().max().item()
        print(f'TorchScript: {path}, max |diff| {errors["torchscript"]:.3g}')
    if 'onnx' in args.formats:
        path = stem + '.onnx'
        export_onnx(model, example, path, opset=args.opset)
        try:
            got = run_onnx(path, check)
        except ImportError:
            errors['onnx'] = None
            print(f'ONNX: {path}, not checked: onnxruntime is not installed')
        else:
            errors['onnx'] = (got - expected).abs().max().item()
            print(f'ONNX: {path}, max |diff| {errors["onnx"]:.3g}')
    return errors


def main(argv: Optional[List[str]] = None) -> Dict[str, Optional[float]]:
    args = parse_args(argv)
    try:
        errors = export(args)
    except (OSError, ValueError, TypeError, RuntimeError,
            pickle.UnpicklingError) as err:
        sys.exit(f'export_student: error: {err}')
    too_far = {fmt: error for fmt, error in errors.items()
               if error is not None and error > args.atol}
    if too_far:
        sys.exit(f'export_student: error: exported logits differ from '
                 f'PyTorch by more than {args.atol}: {too_far}')
    return errors


if __name__ == '__main__':
    main()
