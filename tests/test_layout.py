"""The package's layout rules, checked on its source: no module imports
another module's private names or private modules."""
import ast
import glob
import os.path as osp

from tests.conftest import REPO


def _private(name: str) -> bool:
    return name.startswith('_') and not (name.startswith('__')
                                         and name.endswith('__'))


def test_no_module_imports_private_helpers_of_another():
    found = []
    for path in glob.glob(osp.join(REPO, 'mmcls_kd', '**', '*.py'),
                          recursive=True):
        with open(path) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                parts = (node.module or '').split('.')
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.Import):
                parts = [p for alias in node.names
                         for p in alias.name.split('.')]
                names = []
            else:
                continue
            private = [p for p in parts if _private(p)]
            private += [n for n in names if _private(n)]
            # torch's _BatchNorm is the documented base of its norm layers.
            private = [p for p in private if p != '_BatchNorm']
            if private:
                found.append(f'{osp.relpath(path, REPO)}:{node.lineno} '
                             f'imports {private}')
    assert not found, '\n'.join(found)
