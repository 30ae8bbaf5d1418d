"""Extract the student of a distillation checkpoint (teacher KD or self-KD).

    python tools/model_converters/extract_student.py SRC DST
        [--mode {classifier,backbone}]
"""
import argparse
import pickle
import sys
from typing import List, Optional

import mmcls_kd  # noqa: F401  (fixes and registration before anything else)
from mmcls_kd.checkpoint import MODES, save_student

EPILOG = """\
output formats (both {'meta': ..., 'state_dict': ...}, tensors only):
  classifier  the student ImageClassifier: keys backbone.*, neck.*, head.*
              (architecture.* of SRC without the prefix). Use it as
              load_from=DST, with tools/test.py and the student's config, or
              as a backbone with
              init_cfg=dict(type='Pretrained', checkpoint=DST,
                            prefix='backbone.')
  backbone    the student's backbone alone, bare keys (conv1.weight,
              layer1.0.conv1.weight, ...). Use it in MMDetection or
              MMPretrain with NO prefix:
              backbone=dict(..., init_cfg=dict(type='Pretrained',
                                               checkpoint=DST))

Dropped: the teacher (teacher.*), the distiller's learnable parts
(distiller.*, e.g. USKD's weak classifier distiller.connectors.weak.*) and,
in backbone mode, the student's neck and head. meta records the source
file, its sha256, the algorithm found and the dropped key groups with
their counts.
"""


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Extract the student of a distillation checkpoint',
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='checkpoint saved by a distillation run')
    parser.add_argument('dst', help='where the student checkpoint goes')
    parser.add_argument(
        '--mode',
        choices=MODES,
        default='classifier',
        help='the whole student classifier, or its backbone alone')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    try:
        checkpoint = save_student(args.src, args.dst, args.mode)
    except (OSError, ValueError, RuntimeError, pickle.UnpicklingError) as err:
        sys.exit(f'extract_student: error: {err}')
    meta = checkpoint['meta']
    dropped = ', '.join(f'{group}.* ({count})'
                        for group, count in meta['dropped'].items())
    print(f'{meta["algorithm"]} checkpoint {args.src} -> {args.mode} '
          f'checkpoint {args.dst}: kept {len(checkpoint["state_dict"])} '
          f'keys, dropped {dropped or "nothing"}')
    return checkpoint


if __name__ == '__main__':
    main()
