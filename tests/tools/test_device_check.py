"""tools/analysis_tools/device_check.py: on a machine without CUDA it says
what it would check and exits 0; its throughput code runs on a CPU at a
tiny size."""
import csv

import pytest
import torch

from mmcls_kd.apis.throughput import default_cells, measure, write_table
from tests.conftest import load_tool


@pytest.mark.slow
def test_without_cuda_it_prints_its_plan_and_exits_0(capsys):
    if torch.cuda.is_available():
        pytest.skip('this machine has CUDA: the check would run for real')
    tool = load_tool('tools/analysis_tools/device_check.py')
    assert tool.main([]) == 0
    out = capsys.readouterr().out
    assert 'No CUDA device: nothing is run' in out
    assert 'tests/cuda/test_resume.py::test_a_resume_is_exact_in_' \
        'deterministic_mode' in out
    cells = default_cells()
    assert 20 <= len(cells) <= 30
    assert f'a throughput table of {len(cells)} cells' in out
    assert 'NKD R34->R18 cached  amp + channels_last' in out
    assert 'batch 256 at 224x224' in out and 'batch 64 at 32x32' in out


@pytest.mark.slow
def test_the_throughput_table_on_a_cpu(tmp_path):
    cells = [c for c in default_cells(scale=0.01)
             if c.row in ('ResNet-18', 'NKD R34->R18 cached', 'ResNet8x4',
                          'CRD R32x4->R8x4') and c.precision == 'fp32']
    measure(cells, 'cpu', repeats=1, steps=1, warmup=0,
            progress=lambda _: None)
    markdown = write_table(cells, str(tmp_path), 'a CPU')
    by_row = {(c.table, c.row): c.results for c in cells}
    # The plain students are the unit of their tables.
    assert by_row[('ImageNet', 'ResNet-18')]['vs_plain'] == 1.0
    assert by_row[('CIFAR-100', 'ResNet8x4')]['vs_plain'] == 1.0
    for results in by_row.values():
        assert results['images_per_s'] > 0 and results['seconds'] > 0
    with open(tmp_path / 'throughput.csv') as f:
        rows = list(csv.DictReader(f))
    assert [r['model'] for r in rows] == [c.row for c in cells]
    assert rows[0]['step vs plain student'] == '1.00x'
    assert markdown.startswith('Measured on a CPU.')
    assert (tmp_path / 'throughput.md').read_text() == markdown
