"""Download the released teachers behind the paper's numbers and convert
them into the checkpoints the configs load (``checkpoints/`` by default):
CRD's CIFAR-100 teachers and torchvision's ImageNet ResNet-34/50.

    python tools/model_converters/fetch_teachers.py            # all of them
    python tools/model_converters/fetch_teachers.py --only resnet32x4_cifar100
    python tools/model_converters/fetch_teachers.py --list

The first download records each file's sha256 in ``checkpoints/SHA256SUMS``;
a later download or conversion that differs is refused.
"""
import argparse
import sys


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--root', default='checkpoints',
                        help='where converted teachers, downloads and '
                        'SHA256SUMS go (default: checkpoints)')
    parser.add_argument('--only', nargs='+', metavar='NAME',
                        help='teachers to fetch (default: all; see --list)')
    parser.add_argument('--url', nargs='+', default=[], metavar='SOURCE=URL',
                        help='another URL for a source, e.g. a mirror: '
                        'cifar100=file:///data/cifar_teachers.tar')
    parser.add_argument('--list', action='store_true',
                        help='list the teachers and sources, then exit')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    from mmcls_kd.apis.teachers import (SOURCES, TEACHERS, TeacherHashError,
                                        fetch_teachers)
    if args.list:
        for teacher in TEACHERS.values():
            print(f'{teacher.name:20s} {args.root}/{teacher.path}  '
                  f'<- {SOURCES[teacher.source]}'
                  f'{"#" + teacher.member if teacher.member else ""}')
        return
    urls = {}
    for item in args.url:
        source, sep, url = item.partition('=')
        if not sep or source not in SOURCES:
            sys.exit(f'--url {item}: expected SOURCE=URL with SOURCE one of '
                     f'{", ".join(SOURCES)}')
        urls[source] = url
    try:
        fetch_teachers(args.root, args.only, urls)
    except (TeacherHashError, ValueError, OSError, RuntimeError) as err:
        sys.exit(f'fetch_teachers: {err}')


if __name__ == '__main__':
    main()
