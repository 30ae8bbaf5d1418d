"""Every config under configs/ resolves (MMEngine ``Config.fromfile``, then
``to_dict()``) to what ``config_snapshot.json`` holds.

Refactoring configs must not change what they run: a change that means to
change a config regenerates the snapshot in the same commit, saying why:

    python -m tests.configs.test_config_snapshot --update

The detection configs (configs/downstream) need MMDetection and are left
out.
"""
import glob
import json
import os.path as osp
import sys

import pytest

from tests.conftest import REPO, parsed_config

SNAPSHOT = osp.join(osp.dirname(__file__), 'config_snapshot.json')


def config_paths():
    return sorted(
        osp.relpath(path, REPO)
        for path in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                              recursive=True)
        if f'{osp.sep}_base_{osp.sep}' not in path
        and f'{osp.sep}downstream{osp.sep}' not in path)


def resolve(path):
    """The config as plain JSON values (tuples become lists)."""
    resolved = parsed_config(osp.join(REPO, path)).to_dict()
    return json.loads(json.dumps(resolved, sort_keys=True))


def _differences(expected, found, where=''):
    if isinstance(expected, dict) and isinstance(found, dict):
        for key in sorted(set(expected) | set(found)):
            here = f'{where}.{key}' if where else key
            if key not in found:
                yield f'{here}: removed'
            elif key not in expected:
                yield f'{here}: added ({found[key]!r})'
            else:
                yield from _differences(expected[key], found[key], here)
    elif expected != found:
        yield f'{where}: {expected!r} -> {found!r}'


@pytest.fixture(scope='module')
def snapshot():
    with open(SNAPSHOT) as f:
        return json.load(f)


def test_snapshot_lists_every_config(snapshot):
    assert sorted(snapshot) == config_paths()


@pytest.mark.parametrize('path', config_paths())
def test_config_resolves_as_snapshot(path, snapshot):
    differences = list(_differences(snapshot.get(path), resolve(path)))
    assert not differences, '\n'.join(differences[:20])


def update() -> None:
    resolved = {path: resolve(path) for path in config_paths()}
    with open(SNAPSHOT, 'w') as f:
        # One config per line: diffs in review show which configs changed.
        f.write('{\n' + ',\n'.join(
            f'{json.dumps(path)}: {json.dumps(value, sort_keys=True)}'
            for path, value in resolved.items()) + '\n}\n')
    print(f'{len(resolved)} configs -> {SNAPSHOT}')


if __name__ == '__main__':
    if sys.argv[1:] != ['--update']:
        sys.exit(__doc__)
    update()
