"""The metafiles against the paper and the repository.

The paper's cells are transcribed below from the NKD/USKD paper (ICCV 2023,
arXiv 2303.13005, Tables 1-6, 8 and 9), independently of the metafiles, and
every metafile must list exactly those cells, each once, with the printed
value. Table 7 (COCO) belongs to configs/downstream.
"""
import glob
import os.path as osp
import re

import pytest
import yaml

from mmcls_kd.reproduction import METRICS, PAPER_TABLES, load_cells
from mmcls_kd.reproduction.metafile import MetafileError
from tests.conftest import REPO

INDEX = osp.join(REPO, 'model-index.yml')
T1, T5, MIN = 'Top 1 Accuracy', 'Top 5 Accuracy', 'Minutes per Epoch'


def _grid(table, rows, columns, text, metric=T1):
    """Cells of a printed table: one line of values per row, '-' where the
    paper prints a number that no config of ours trains."""
    cells = set()
    for row, line in zip(rows, text.strip().splitlines()):
        for column, value in zip(columns, line.split()):
            if value != '-':
                cells.add((table, row, column, metric, value))
    return cells


TABLE1 = _grid(1, [
    'Teacher', 'Student', 'RKD', 'CRD', 'OFD', 'KR', 'KD', 'WSLD', 'DKD',
    'NKD (ours)'
], [
    'VGGNet13 -> VGGNet8', 'ResNet32x4 -> ResNet8x4',
    'VGGNet13 -> MobileNetV2', 'ResNet50 -> MobileNetV2',
    'ResNet34 -> ResNet18', 'ResNet50 -> MobileNet'
],
    # The ImageNet teachers (73.62, 76.55) are MMPretrain's released
    # checkpoints, not trained by a config of ours.
    """
    74.64 79.42 74.64 79.34 - -
    70.36 72.50 64.60 64.60 69.90 69.21
    71.48 71.90 64.52 64.43 71.34 71.32
    73.94 75.51 69.73 69.11 71.17 71.40
    73.95 74.95 69.48 69.04 71.08 71.25
    74.84 75.63 70.37 69.89 71.61 72.56
    72.98 73.33 67.37 67.35 71.03 70.68
    74.36 76.05 69.02 70.15 71.73 72.02
    74.68 76.32 69.71 70.35 71.70 72.05
    74.86 76.35 70.22 70.67 71.96 72.58
    """)
TABLE2 = _grid(2, ['Baseline', 'LS', 'Tf-KD', "Zipf's LS", 'USKD (ours)'], [
    'CIFAR100 ResNet18', 'ImageNet ResNet18', 'ImageNet ResNet50',
    'ImageNet MobileNet'
], """
    78.58 69.90 76.55 69.21
    79.42 69.92 76.64 68.98
    79.53 70.14 76.59 69.20
    79.63 70.30 76.96 69.59
    79.90 70.79 77.07 70.38
    """)
TABLE3_ROWS = ['ResNet-101', 'MobileNet-V2', 'ShuffleNet-V2']
TABLE3 = _grid(3, TABLE3_ROWS, ['Baseline', 'USKD (ours)'], """
    77.97 78.54
    71.86 72.41
    69.55 70.30
    """) | _grid(3, TABLE3_ROWS, ['Baseline', 'USKD (ours)'], """
    13.78 13.95
    10.17 10.18
    8.63 8.68
    """, MIN)
TABLE4 = _grid(4, ['RegNetX-1.6GF', 'DeiT-Tiny', 'DeiT-Small', 'Swin-Tiny'],
               ['Baseline', 'USKD (ours)'], """
    76.84 77.30
    74.42 74.97
    80.55 80.77
    81.18 81.49
    """)
TABLE5_COLUMNS = [
    'None', 'Target', "Target + KD's Non-target", "Target + NKD's Non-target"
]
TABLE5 = _grid(5, ['Top-1 Acc. (%)'], TABLE5_COLUMNS,
               '69.90 71.06 71.33 71.96') | _grid(
                   5, ['Top-5 Acc. (%)'], TABLE5_COLUMNS,
                   '89.43 89.51 90.25 90.48', T5)
TABLE6 = _grid(6, ['MobileNet', 'RegNetX-1.6GF'],
               ['None', 'Target', 'Non-target', 'Target + Non-target'], """
    69.21 70.18 69.43 70.38
    76.84 76.87 77.25 77.30
    """)
TABLE8 = {(8, row, 'Top-1 Acc. (%)', T1, value) for row, value in [
    ('Baseline', '69.90'),
    ('S_t + V_t - mean(S_t)', '70.76'),
    ('softmax(S_t) * sum(V_t)', '70.57'),
    ('sqrt(S_t - min(S_t))', '70.57'),
    ('S_t / max(S_t)', '70.53'),
    ('S_t / mean(S_t)', '70.50'),
    ('Trained ResNet-18', '70.75'),
]}
TABLE9 = _grid(9, [
    'Baseline', 'Weak Logit', 'Final Logit', 'Combination', 'Normalization'
], ['ResNet-18', 'RegNetX-1.6GF'], """
    69.90 76.84
    70.65 77.28
    70.72 77.15
    70.71 77.25
    70.79 77.30
    """)
PAPER = {
    1: TABLE1, 2: TABLE2, 3: TABLE3, 4: TABLE4, 5: TABLE5, 6: TABLE6,
    8: TABLE8, 9: TABLE9
}

# Table 1 cells of methods whose configs are not written yet, exempt from
# the check below. Every row of Table 1 has its configs now (OFD in
# configs/ofd, KR in configs/reviewkd), so all of its cells are required.
NOT_YET = set()

# Configs that no metafile needs to list: bases and the quick start (and
# the downstream configs, which have their own metafile).
UNLISTED_DIRS = ('_base_', 'quickstart')


def _imports():
    with open(INDEX, encoding='utf-8') as f:
        return yaml.safe_load(f)['Import']


def _metafiles():
    return sorted(glob.glob(osp.join(REPO, 'configs', '*', 'metafile.yml')))


def _models(metafile):
    with open(metafile, encoding='utf-8') as f:
        return yaml.safe_load(f).get('Models') or []


def _printed_cells(path=INDEX):
    return [(c.table, c.row, c.column, c.metric, c.printed)
            for c in load_cells(path)]


def test_index_imports_every_metafile():
    imported = {osp.normpath(osp.join(REPO, p)) for p in _imports()}
    assert imported == set(_metafiles())


@pytest.mark.parametrize('metafile', _metafiles(),
                         ids=lambda p: osp.relpath(p, REPO))
def test_metafile_entries(metafile):
    with open(metafile, encoding='utf-8') as f:
        data = yaml.safe_load(f)
    collections = {c['Name'] for c in data['Collections']}
    for coll in data['Collections']:
        assert coll['Paper']['URL'] == 'https://arxiv.org/abs/2303.13005'
        assert osp.isfile(osp.join(REPO, coll['README'])), coll['README']
    for model in data['Models']:
        assert model['In Collection'] in collections
        assert osp.isfile(osp.join(REPO, model['Config'])), model['Config']
        assert model['Results'] == []
        for cell in model['Metadata'].get('Paper Cells') or []:
            assert cell['Table'] in PAPER_TABLES
            assert cell['Metric'] in METRICS
            assert isinstance(cell['Value'], (int, float))


METHOD_PAPER_KEYS = {'Method Paper', 'Method Paper Results'}


@pytest.mark.parametrize('metafile', _metafiles(),
                         ids=lambda p: osp.relpath(p, REPO))
def test_other_papers_numbers_keep_their_own_keys(metafile):
    """A method outside the NKD/USKD paper's tables: ``Paper Cells: []``,
    its own paper as ``Method Paper: 'title, URL'``, its numbers as
    ``Method Paper Results`` (Column, Metric, Value; the method paper's
    Table and Row optional) and where they are printed as
    ``Number Source``."""
    for model in _models(metafile):
        meta = model['Metadata']
        keys = {k for k in meta if k.startswith('Method Paper')}
        assert keys <= METHOD_PAPER_KEYS, (model['Name'], keys)
        if not keys:
            continue
        assert meta.get('Paper Cells') == [], model['Name']
        title, _, url = str(meta['Method Paper']).rpartition(', ')
        assert title and url.startswith('https://'), meta['Method Paper']
        results = meta.get('Method Paper Results')
        assert isinstance(results, list), model['Name']
        for result in results:
            assert set(result) - {'Table', 'Row'} == {
                'Column', 'Metric', 'Value'
            }, result
            assert result['Metric'] in METRICS
            assert isinstance(result['Value'], (int, float))
        if results:
            assert meta.get('Number Source'), model['Name']


def test_model_names_are_unique():
    names = [m['Name'] for f in _metafiles() for m in _models(f)]
    assert len(names) == len(set(names))


def test_every_config_is_listed():
    listed = {
        osp.normpath(osp.join(REPO, m['Config']))
        for f in _metafiles() for m in _models(f)
    }
    configs = {
        osp.normpath(p)
        for p in glob.glob(osp.join(REPO, 'configs', '*', '*.py'))
        if osp.basename(osp.dirname(p)) not in UNLISTED_DIRS
    }
    assert sorted(configs - listed) == []


@pytest.mark.parametrize('table', sorted(PAPER))
def test_cells_match_the_paper(table):
    ours = [c for c in _printed_cells() if c[0] == table]
    assert len(ours) == len(set(ours)), 'a cell is listed twice'
    expected = PAPER[table] - NOT_YET
    assert sorted(set(ours) - expected) == [], 'cells not in the paper'
    assert sorted(expected - set(ours)) == [], 'paper cells without config'


def test_not_yet_covered_is_only_ofd_and_kr():
    assert {c[1] for c in NOT_YET} <= {'OFD', 'KR'}


def test_table7_is_left_to_downstream():
    tables = {c[0] for c in _printed_cells()}
    assert tables <= set(PAPER) | {7}


@pytest.mark.parametrize('metafile', _metafiles(),
                         ids=lambda p: osp.relpath(p, REPO))
def test_readme_links_every_config(metafile):
    folder = osp.dirname(metafile)
    with open(osp.join(folder, 'README.md'), encoding='utf-8') as f:
        readme = f.read()
    links = {
        osp.normpath(osp.join(folder, link))
        for link in re.findall(r'\]\(([^)\s]+\.py)\)', readme)
    }
    for model in _models(metafile):
        config = osp.normpath(osp.join(REPO, model['Config']))
        if osp.dirname(config) == folder:
            assert config in links, f'README misses {model["Config"]}'
    for link in links:
        assert osp.isfile(link), f'README links a missing config {link}'


def _write_index(tmp_path, cell, config):
    meta = tmp_path / 'configs' / 'bad' / 'metafile.yml'
    meta.parent.mkdir(parents=True)
    (meta.parent / 'ok.py').write_text('')
    meta.write_text(
        yaml.safe_dump({
            'Models': [{
                'Name': 'bad',
                'Config': config,
                'Metadata': {
                    'Paper Cells': [cell]
                }
            }]
        }))
    index = tmp_path / 'model-index.yml'
    index.write_text('Import:\n  - configs/bad/metafile.yml\n')
    return str(index)


def test_bad_table_is_rejected(tmp_path):
    cell = dict(Table=10, Row='KD', Column='x', Metric=T1, Value=1.0)
    with pytest.raises(MetafileError, match='Table 10'):
        load_cells(_write_index(tmp_path, cell, 'configs/bad/ok.py'))


def test_bad_metric_is_rejected(tmp_path):
    cell = dict(Table=1, Row='KD', Column='x', Metric='Top 2', Value=1.0)
    with pytest.raises(MetafileError, match='Metric'):
        load_cells(_write_index(tmp_path, cell, 'configs/bad/ok.py'))


def test_missing_config_fails_the_listing_check(tmp_path):
    cell = dict(Table=1, Row='KD', Column='x', Metric=T1, Value=1.0)
    index = _write_index(tmp_path, cell, 'configs/bad/missing.py')
    missing = [c.config for c in load_cells(index) if not osp.isfile(c.config)]
    assert missing == [str(tmp_path / 'configs' / 'bad' / 'missing.py')]


def test_wrong_paper_cell_is_caught(tmp_path):
    """A cell whose row or value differs from the paper is not in the frozen
    list, so test_cells_match_the_paper would report it."""
    cell = dict(Table=1, Row='KD', Column='VGGNet13 -> VGGNet8', Metric=T1,
                Value='72.99')
    ours = set(_printed_cells(_write_index(tmp_path, cell,
                                           'configs/bad/ok.py')))
    assert ours - TABLE1 == {(1, 'KD', 'VGGNet13 -> VGGNet8', T1, '72.99')}
