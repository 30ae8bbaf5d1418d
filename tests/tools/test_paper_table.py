"""tools/analysis_tools/paper_table.py on fake metafiles and fake runs.

Expected numbers are computed here from the values written into the fake
logs: mean with ``statistics.mean``, std as the sample standard deviation
(n - 1, ``statistics.stdev``), last = the final validation, best = the
highest validation.
"""
import csv
import json
import os
import os.path as osp
import statistics
from typing import Dict, List, Optional, Sequence, Tuple

import pytest

from mmcls_kd.reproduction import MetafileError, load_cells
from tests.conftest import load_tool
from tests.tools.test_reproduce import FAKE, epoch_config, make_index, touch

paper_table = load_tool('tools/analysis_tools/paper_table.py')

TRUNCATED = '{"accuracy/top1": 7'  # a line cut while it was written
IPE = 40  # iterations per epoch in the fake text logs
H100 = '2 x NVIDIA H100 80GB HBM3'


def text_log(gpu: str = 'NVIDIA H100 80GB HBM3', number: int = 2) -> str:
    return (f'System environment:\n    GPU 0,1: {gpu}\n'
            f'Runtime environment:\n    GPU number: {number}\n'
            f'11/24 22:44:12 - mmengine - INFO - Epoch(train) [1][10/{IPE}]'
            '  lr: 0.1  time: 1.0\n')


def write_process(work_dir: str, stamp: str, vals: Sequence[float] = (),
                  times: Sequence[float] = (), tail: Optional[str] = None,
                  log: Optional[str] = None, first_epoch: int = 1,
                  top5: Sequence[float] = ()) -> None:
    """One training process: train lines with ``times``, then one
    validation per epoch with ``vals`` (and ``top5``); ``tail`` is a raw
    last line."""
    lines = [json.dumps({'lr': 0.1, 'loss': 2.0, 'time': t, 'epoch': 1,
                         'iter': 10 * (i + 1), 'step': 10 * (i + 1)})
             for i, t in enumerate(times)]
    for epoch, val in enumerate(vals, first_epoch):
        record = {'accuracy/top1': val, 'step': epoch}
        if top5:
            record['accuracy/top5'] = top5[epoch - first_epoch]
        lines.append(json.dumps(record))
    lines += [tail] if tail else []
    touch(osp.join(work_dir, stamp, 'vis_data', 'scalars.json'),
          '\n'.join(lines) + '\n')
    if log is not None:
        touch(osp.join(work_dir, stamp, f'{stamp}.log'), log)


def finished(work_dir: str) -> None:
    touch(osp.join(work_dir, 'epoch_3.pth'))


@pytest.fixture(scope='module')
def fake(tmp_path_factory) -> Tuple[str, str]:
    root = tmp_path_factory.mktemp('paper_table')
    index = make_index(str(root / 'repo'))
    work = str(root / 'work')
    base = osp.join(work, 'base_r18_8xb32_in1k')
    for seed, vals in enumerate([[60.0, 69.5, 69.8], [61.0, 70.4, 70.1],
                                 [59.0, 69.2, 69.7]]):
        write_process(f'{base}/seed{seed}', '20260101_000000', vals)
        finished(f'{base}/seed{seed}')
    uskd = osp.join(work, 'uskd_r18_8xb32_in1k')
    # Killed while writing, resumed: epoch 2 is evaluated again (newer wins).
    write_process(f'{uskd}/seed0', '20260101_000000', [65.0, 71.5],
                  tail=TRUNCATED)
    write_process(f'{uskd}/seed0', '20260102_000000', [70.95, 70.6],
                  first_epoch=2)
    finished(f'{uskd}/seed0')
    write_process(f'{uskd}/seed1', '20260101_000000', [65.0, 70.0, 72.0],
                  tail=TRUNCATED)  # the newest log is cut: not trusted
    finished(f'{uskd}/seed1')
    write_process(f'{uskd}/seed2', '20260101_000000', [66.0, 70.0],
                  tail=TRUNCATED)  # interrupted, never resumed
    touch(f'{uskd}/seed2/epoch_2.pth')
    touch(f'{uskd}/seed2/last_checkpoint', f'{uskd}/seed2/epoch_2.pth')
    write_process(f'{uskd}/seed3', '20260101_000000', times=[1.0, 1.0])
    finished(f'{uskd}/seed3')  # trained with --no-validate: no accuracy
    cifar = osp.join(work, 'uskd_r18_8xb16_cifar100')
    for seed, vals in enumerate([[70.0, 79.8, 79.5], [71.0, 79.9, 80.1]]):
        write_process(f'{cifar}/seed{seed}', '20260101_000000', vals)
        finished(f'{cifar}/seed{seed}')
    # Table 3: timing (first line of each process is start-up).
    mbv2 = osp.join(work, 'base_mbv2_8xb32_in1k')
    write_process(f'{mbv2}/seed0', '20260101_000000', [71.0, 71.5, 71.7],
                  times=[5.0, 1.0, 1.2, 1.1], log=text_log())
    write_process(f'{mbv2}/seed1', '20260101_000000', [71.0],
                  times=[4.0, 1.3], log=text_log())
    write_process(f'{mbv2}/seed1', '20260102_000000', [71.6, 71.9],
                  times=[6.0, 1.0, 1.4], log=text_log(), first_epoch=2)
    u_mbv2 = osp.join(work, 'uskd_mbv2_8xb32_in1k')
    write_process(f'{u_mbv2}/seed0', '20260101_000000', [72.0, 72.2, 72.3],
                  times=[3.0, 1.2, 1.3], log=text_log())
    write_process(f'{u_mbv2}/seed1', '20260101_000000', [72.0, 72.5, 72.4],
                  times=[3.0, 1.6], log=text_log('NVIDIA A100', 8))
    for run in (f'{mbv2}/seed0', f'{mbv2}/seed1', f'{u_mbv2}/seed0',
                f'{u_mbv2}/seed1'):
        finished(run)
    # Table 7: box AP from a test result saved in the work dir.
    r50 = osp.join(work, 'uskd_r50_8xb32_in1k', 'seed0')
    write_process(r50, '20260101_000000', [76.0, 77.0, 77.2])
    finished(r50)
    touch(osp.join(r50, 'test_coco.json'), json.dumps(
        {'config': 'det.py', 'checkpoint': 'det.pth',
         'metrics': {'coco/bbox_mAP': 0.384, 'coco/bbox_AR@100': 0.531}}))
    nkd = osp.join(work, 'nkd_r34_r18_8xb32_in1k')
    for seed, (top1, top5) in enumerate([([71.9, 72.0], [90.1, 90.6]),
                                         ([72.1, 71.8], [90.4, 90.3])]):
        write_process(f'{nkd}/seed{seed}', '20260101_000000', [60.0] + top1,
                      top5=[80.0] + top5)
        finished(f'{nkd}/seed{seed}')
    return index, work


def render(capsys, fake, tables: List[str], *extra: str):
    index, work = fake
    assert paper_table.main(tables + ['--index', index, '--work-root', work,
                                      *extra]) == 0
    out = capsys.readouterr()
    return out.out, out.err.splitlines()


def blocks(text: str, table: int) -> List[List[List[str]]]:
    """The markdown tables after ``### Table N``, as lists of cells."""
    section = text.split(f'### Table {table}\n')[1].split('### ')[0]
    found, current = [], []
    for line in section.splitlines() + ['']:
        if line.startswith('|'):
            current.append([c.strip() for c in line.strip('|').split('|')])
        elif current:
            found.append(current)
            current = []
    return found


def as_rows(block: List[List[str]]) -> Dict[str, Dict[str, str]]:
    header = block[0]
    return {row[0]: dict(zip(header[1:], row[1:])) for row in block[2:]}


def ours(values: List[float], with_n: bool = True) -> str:
    text = f'{statistics.mean(values):.2f}'
    if len(values) > 1:
        text += f' ± {statistics.stdev(values):.2f}'
    return text + (f' (n={len(values)})' if with_n else '')


def test_table_layout_numbers_and_missing(fake, capsys, tmp_path):
    out_json, out_csv = str(tmp_path / 't.json'), str(tmp_path / 't.csv')
    text, warnings = render(capsys, fake, ['2'], '--out-json', out_json,
                            '--out-csv', out_csv)
    block, = blocks(text, 2)
    im, cf = 'ImageNet ResNet-18', 'CIFAR100 ResNet18'
    assert block[0] == ['Row'] + [f'{c}: {k}' for c in (im, cf) for k in (
        'paper', 'ours last', 'ours best', 'Δ')]
    assert [row[0] for row in block[2:]] == ['Baseline', 'USKD', 'LS']
    rows = as_rows(block)
    base_last, base_best = [69.8, 70.1, 69.7], [69.8, 70.4, 69.7]
    assert rows['Baseline'] == {
        f'{im}: paper': '69.90', f'{im}: ours last': ours(base_last),
        f'{im}: ours best': ours(base_best, with_n=False),
        f'{im}: Δ': f'{statistics.mean(base_last) - 69.90:+.2f}',
        f'{cf}: paper': '', f'{cf}: ours last': '', f'{cf}: ours best': '',
        f'{cf}: Δ': ''}
    assert rows['Baseline'][f'{im}: ours last'] == '69.87 ± 0.21 (n=3)'
    assert [rows['USKD'][f'{im}: {k}'] for k in (
        'paper', 'ours last', 'ours best', 'Δ')] == [
            '70.79', '70.60 (n=1)', '70.95', '-0.19']
    cifar_last = [79.5, 80.1]
    assert [rows['USKD'][f'{cf}: {k}'] for k in (
        'paper', 'ours last', 'ours best', 'Δ')] == [
            '79.90', ours(cifar_last), ours([79.8, 80.1], with_n=False),
            f'{statistics.mean(cifar_last) - 79.90:+.2f}']
    assert [rows['LS'][f'{im}: {k}'] for k in (
        'paper', 'ours last', 'ours best', 'Δ')] == [
            '69.92', 'missing', 'missing', 'missing']
    assert 'Δ = ours (mean of last-epoch values) minus paper' in text
    uskd = osp.join(fake[1], 'uskd_r18_8xb32_in1k')
    assert warnings == [
        f'warning: {uskd}/seed0/20260101_000000/vis_data/scalars.json: line '
        '3 is not a JSON object (truncated?); a later process resumed, '
        'line ignored',
        f'warning: {uskd}/seed1/20260101_000000/vis_data/scalars.json: line '
        '4 is not a JSON object (truncated?); treated as missing',
        f'warning: {uskd}/seed2: unfinished (no epoch_3.pth or \'finished\' '
        'file); treated as missing',
        f"warning: {uskd}/seed3: no 'accuracy/top1' in the logs; treated as "
        'missing']

    data = json.load(open(out_json))
    cells = {(c['row'], c['column']): c for c in data['tables'][0]['cells']}
    base = cells[('Baseline', im)]
    assert base['last']['mean'] == statistics.mean(base_last)
    assert base['last']['std'] == statistics.stdev(base_last)
    assert base['best']['values'] == base_best
    assert base['difference'] == statistics.mean(base_last) - 69.90
    assert cells[('USKD', im)]['last'] == {
        'mean': 70.6, 'std': None, 'values': [70.6]}
    assert cells[('USKD', im)]['runs'] == [f'{uskd}/seed0']
    assert cells[('LS', im)]['status'] == 'missing'
    assert cells[('LS', im)]['last'] is None
    assert data['tables'][0]['rows'] == ['Baseline', 'USKD', 'LS']

    lines = list(csv.DictReader(open(out_csv)))
    assert [(r['row'], r['column'], r['status'], r['seeds'])
            for r in lines] == [('Baseline', im, 'ok', '3'),
                                ('USKD', im, 'ok', '1'),
                                ('USKD', cf, 'ok', '2'),
                                ('LS', im, 'missing', '0')]
    assert float(lines[0]['last_std']) == statistics.stdev(base_last)
    assert lines[1]['last_std'] == '' and lines[3]['last_mean'] == ''


def test_minutes_per_epoch_and_relative_cost(fake, capsys):
    text, warnings = render(capsys, fake, ['3'])
    grid, costs = blocks(text, 3)
    # The accuracy block, then the time block, as in the paper.
    assert grid[0][1::4] == [
        'Baseline (Top 1 Accuracy): paper',
        'USKD (ours) (Top 1 Accuracy): paper',
        'Baseline (Minutes per Epoch): paper',
        'USKD (ours) (Minutes per Epoch): paper']
    rows = as_rows(grid)['MobileNet-V2']
    # Mean logged time without each process's first line, x 40 iterations.
    base = [statistics.mean([1.0, 1.2, 1.1]) * IPE / 60,
            statistics.mean([1.3, 1.0, 1.4]) * IPE / 60]
    uskd = [statistics.mean([1.2, 1.3]) * IPE / 60, 1.6 * IPE / 60]
    col = 'Baseline (Minutes per Epoch)'
    assert [rows[f'{col}: {k}'] for k in ('paper', 'ours last', 'ours best',
                                          'Δ')] == [
        '10.17', ours(base), 'n/a', f'{statistics.mean(base) - 10.17:+.2f}']
    assert rows['USKD (ours) (Minutes per Epoch): ours last'] == ours(uskd)
    assert rows['Baseline (Top 1 Accuracy): ours last'] == ours([71.7, 71.9])
    ratio = statistics.mean(uskd) / statistics.mean(base)
    hardware = f'{H100}; 8 x NVIDIA A100'  # sorted
    assert costs[2:] == [[
        'MobileNet-V2', 'USKD (ours) / Baseline', f'{10.18 / 10.17:.3f}',
        f'{ratio:.3f}', hardware]]
    assert warnings == [
        'warning: Table 3 MobileNet-V2: USKD (ours) and Baseline were timed '
        f'on different hardware: {hardware}']


def test_box_ap_ar_from_a_test_result_in_percent(fake, capsys):
    text, _ = render(capsys, fake, ['7', '2'])
    assert text.index('### Table 7') < text.index('### Table 2')
    block, = blocks(text, 7)
    # COCO holds two metrics, ImageNet one.
    assert block[0][1::4] == ['ImageNet: paper', 'COCO (box AP): paper',
                              'COCO (box AR): paper']
    rows = as_rows(block)['USKD (ours)']
    assert [rows[f'COCO (box AP): {k}'] for k in (
        'paper', 'ours last', 'ours best', 'Δ')] == [
            '38.3', '38.40 (n=1)', '38.40', '+0.10']
    assert rows['COCO (box AR): ours last'] == '53.10 (n=1)'
    assert rows['COCO (box AR): Δ'] == '+0.20'
    assert rows['ImageNet: ours best'] == '77.20'


def test_rows_naming_the_metric_read_top5(fake, capsys):
    text, _ = render(capsys, fake, ['5'])
    block, = blocks(text, 5)
    assert block[0][1] == 'NKD: paper'
    rows = as_rows(block)
    last1, best1 = [72.0, 71.8], [72.0, 72.1]
    last5, best5 = [90.6, 90.3], [90.6, 90.4]
    assert list(rows['Top-1 Acc. (%)'].values()) == [
        '71.96', ours(last1), ours(best1, with_n=False),
        f'{statistics.mean(last1) - 71.96:+.2f}']
    assert list(rows['Top-5 Acc. (%)'].values()) == [
        '90.48', ours(last5), ours(best5, with_n=False),
        f'{statistics.mean(last5) - 90.48:+.2f}']


def test_table_numbers_outside_the_paper_are_errors(fake, capsys):
    index, work = fake
    for table, expected in (('10', 'valid tables: 1, 2, 3, 4, 5, 6, 7, 8, 9'),
                            ('6', 'tables with configs: 2, 3, 4, 5, 7, 8, '
                                  '9')):
        with pytest.raises(SystemExit):
            paper_table.main([table, '--index', index, '--work-root', work])
        assert expected in capsys.readouterr().err


@pytest.mark.parametrize('cell, expected', [
    ((2, 'A', 'B', 'Top 3 Accuracy', '1.0'), "unknown Metric 'Top 3"),
    ((11, 'A', 'B', 'Top 1 Accuracy', '1.0'), 'Table 11 is not a table'),
    ((2, 'USKD', 'ImageNet ResNet-18', 'Top 1 Accuracy', '1.0'),
     'claimed by both uskd_r18_8xb32_in1k and bad'),
])
def test_metafile_errors_name_the_entry(tmp_path, cell, expected):
    broken = dict(FAKE, extra=[('bad', epoch_config(), [cell])])
    with pytest.raises(MetafileError, match='extra/metafile.yml') as exc:
        load_cells(make_index(str(tmp_path), broken))
    assert expected in str(exc.value)


def test_no_runs_at_all_is_all_missing(fake, capsys, tmp_path):
    index, _ = fake
    os.makedirs(tmp_path / 'empty')
    assert paper_table.main(['9', '--index', index, '--work-root',
                             str(tmp_path / 'empty')]) == 0
    rows = as_rows(blocks(capsys.readouterr().out, 9)[0])
    assert {v for row in rows.values() for k, v in row.items()
            if 'paper' not in k} == {'missing'}
