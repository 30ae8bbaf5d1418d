"""tools/visualization/plot_curves.py on fake logs."""
import json
import os.path as osp

import pytest

from mmcls_kd.reproduction import read_run
from tests.conftest import load_tool
from tests.tools.test_reproduce import touch

plot_curves = load_tool('tools/visualization/plot_curves.py')

IPE = 4  # iterations per epoch in the fake text logs


def fake_run(work_dir: str, losses: dict, ipe_in_log: bool = True,
             truncated: bool = False) -> None:
    """Two epochs logged every 2 iterations, a validation per epoch."""
    lines = []
    for it in (2, 4, 6, 8):
        epoch = (it - 1) // IPE + 1
        lines.append({'lr': 0.1, 'time': 0.5, 'epoch': epoch, 'iter': it,
                      'step': it, **{k: v * it for k, v in losses.items()}})
        if it % IPE == 0:
            lines.append({'accuracy/top1': 50.0 + epoch, 'step': epoch})
    text = '\n'.join(json.dumps(line) for line in lines)
    if truncated:
        text += '\n{"loss": 1.'
    stamp = osp.join(work_dir, '20260101_000000')
    touch(osp.join(stamp, 'vis_data', 'scalars.json'), text + '\n')
    if ipe_in_log:
        touch(osp.join(stamp, '20260101_000000.log'),
              f'Epoch(train) [1][2/{IPE}]  lr: 0.1  time: 0.5\n')


def test_series_positions(tmp_path):
    fake_run(str(tmp_path / 'a'), {'loss': 1.0})
    log = read_run(str(tmp_path / 'a'))
    assert plot_curves.train_series(log, 'loss', 'epoch') == (
        [2 / IPE, 4 / IPE, 6 / IPE, 8 / IPE], [2.0, 4.0, 6.0, 8.0])
    assert plot_curves.train_series(log, 'loss', 'iter')[0] == [2, 4, 6, 8]
    assert plot_curves.val_series(log, 'accuracy/top1', 'epoch') == (
        [1, 2], [51.0, 52.0])
    assert plot_curves.val_series(log, 'accuracy/top1', 'iter')[0] == [
        IPE, 2 * IPE]
    # Without the text log, training lines sit at their epoch.
    fake_run(str(tmp_path / 'b'), {'loss': 1.0}, ipe_in_log=False)
    log = read_run(str(tmp_path / 'b'))
    assert plot_curves.train_series(log, 'loss', 'epoch')[0] == [1, 1, 2, 2]
    with pytest.raises(ValueError, match='use --x epoch'):
        plot_curves.val_series(log, 'accuracy/top1', 'iter')


def test_plot_writes_png_of_all_loss_terms(tmp_path, capsys):
    root = tmp_path / 'work'
    fake_run(str(root / 'base_r18' / 'seed0'), {'loss': 1.0})
    fake_run(str(root / 'base_r18' / 'seed1'), {'loss': 1.1})
    fake_run(str(root / 'uskd_r18' / 'seed0'),
             {'loss': 2.0, 'student.loss': 1.0, 'distill.loss_uskd': 1.0},
             truncated=True)
    out = tmp_path / 'curves.png'
    # A config directory stands for its seeds: three runs in all.
    assert plot_curves.main([str(root / 'base_r18'),
                             str(root / 'uskd_r18' / 'seed0'),
                             '--out', str(out)]) == 0
    data = out.read_bytes()
    assert data[:8] == b'\x89PNG\r\n\x1a\n' and len(data) > 10_000
    captured = capsys.readouterr()
    assert 'line 7 is not a JSON object' in captured.err
    assert captured.out.strip() == f'wrote {out}'
    # Four panels (three loss terms and accuracy) in a 3 x 2 grid.
    import matplotlib.image
    height, width = matplotlib.image.imread(str(out)).shape[:2]
    assert (width, height) == (1500, 720)


def test_bad_arguments(tmp_path, capsys):
    fake_run(str(tmp_path / 'a'), {'loss': 1.0})
    with pytest.raises(SystemExit):
        plot_curves.main([str(tmp_path / 'a'), '--labels', 'x', 'y',
                          '--out', str(tmp_path / 'c.png')])
    assert '2 labels for 1 runs' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        plot_curves.main([str(tmp_path / 'nothing'), '--out',
                          str(tmp_path / 'c.png')])
    assert 'no training logs there' in capsys.readouterr().err


def test_one_colour_a_run_and_the_student_cross_entropy_in_one_panel(
        tmp_path):
    fake_run(str(tmp_path / 'base'), {'loss': 1.0})
    fake_run(str(tmp_path / 'nkd'),
             {'loss': 2.0, 'student.loss': 1.0, 'distill.loss_nkd': 1.0})
    logs = [read_run(str(tmp_path / name), strict=False)
            for name in ('base', 'nkd')]
    assert plot_curves.panels(logs, 'accuracy/top1') == [
        ('loss (total)', ['loss', 'loss']),
        # The baseline's only loss is its cross-entropy.
        ('student cross-entropy', ['loss', 'student.loss']),
        ('distill.loss_nkd', [None, 'distill.loss_nkd']),
        ('val accuracy/top1', ['accuracy/top1', 'accuracy/top1']),
    ]
    fig = plot_curves.draw(logs, ['base', 'nkd'], 'epoch', 'accuracy/top1')
    colours = {}
    for ax in fig.axes:
        for line in ax.lines:
            colours.setdefault(line.get_label(), set()).add(line.get_color())
    assert colours == {'base': {'C0'}, 'nkd': {'C1'}}
    titled = {ax.get_title(): {line.get_label() for line in ax.lines}
              for ax in fig.axes if ax.get_visible()}
    assert titled['student cross-entropy'] == {'base', 'nkd'}
