"""tools/reproduce.py on a fake model index and a fake work-dir tree."""
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import pytest

import mmcls_kd.reproduction.plan as plan_module
from tests.conftest import REPO, load_tool

reproduce = load_tool('tools/reproduce.py')

# (table, row, column, metric, value as printed)
Cell = Tuple[int, str, str, str, str]

EPOCHS = ('train_cfg = dict(by_epoch=True, max_epochs={n}, val_interval=1)\n'
          'optim_wrapper = dict(optimizer=dict(type="SGD", lr=0.1){extra})\n'
          'auto_scale_lr = dict(base_batch_size=256)\n')


def epoch_config(epochs: int = 3, accumulate: int = 0) -> str:
    extra = f', accumulative_counts={accumulate}' if accumulate else ''
    return EPOCHS.format(n=epochs, extra=extra)


ITERS = 'train_cfg = dict(by_epoch=False, max_iters=100)\n'

# method -> [(config name, config text, cells)]
FAKE: Dict[str, List[Tuple[str, str, List[Cell]]]] = {
    'baseline': [
        ('base_r18_8xb32_in1k', epoch_config(), [
            (2, 'Baseline', 'ImageNet ResNet-18', 'Top 1 Accuracy', '69.90'),
            (9, 'Baseline', 'ResNet-18', 'Top 1 Accuracy', '69.90')]),
        ('base_mbv2_8xb32_in1k', epoch_config(), [
            (3, 'MobileNet-V2', 'Baseline', 'Top 1 Accuracy', '71.86'),
            (3, 'MobileNet-V2', 'Baseline', 'Minutes per Epoch', '10.17')]),
    ],
    'uskd': [
        ('uskd_r18_8xb32_in1k', epoch_config(), [
            (2, 'USKD', 'ImageNet ResNet-18', 'Top 1 Accuracy', '70.79'),
            (9, 'Normalization', 'ResNet-18', 'Top 1 Accuracy', '70.79')]),
        ('uskd_r18_8xb16_cifar100', epoch_config(accumulate=2), [
            (2, 'USKD', 'CIFAR100 ResNet18', 'Top 1 Accuracy', '79.90')]),
        ('uskd_mbv2_8xb32_in1k', epoch_config(), [
            (3, 'MobileNet-V2', 'USKD (ours)', 'Top 1 Accuracy', '72.41'),
            (3, 'MobileNet-V2', 'USKD (ours)', 'Minutes per Epoch', '10.18')]),
        ('uskd_r50_8xb32_in1k', epoch_config(), [
            (7, 'USKD (ours)', 'ImageNet', 'Top 1 Accuracy', '77.07'),
            (7, 'USKD (ours)', 'COCO', 'box AP', '38.3'),
            (7, 'USKD (ours)', 'COCO', 'box AR', '52.9')]),
        ('uskd_deit-tiny_4xb256_in1k', epoch_config(), [
            (4, 'DeiT-Tiny', 'USKD (ours)', 'Top 1 Accuracy', '74.97')]),
    ],
    'nkd': [
        # Table 5 names the metric in its rows.
        ('nkd_r34_r18_8xb32_in1k', epoch_config(), [
            (5, 'Top-1 Acc. (%)', 'NKD', 'Top 1 Accuracy', '71.96'),
            (5, 'Top-5 Acc. (%)', 'NKD', 'Top 5 Accuracy', '90.48')]),
    ],
    'ls': [
        ('ls_r18_8xb32_in1k', epoch_config(), [
            (2, 'LS', 'ImageNet ResNet-18', 'Top 1 Accuracy', '69.92')]),
        ('target_r18_8xb32_in1k', ITERS, [
            (8, 'Trained ResNet-18', 'Top-1 Acc. (%)', 'Top 1 Accuracy',
             '70.75')]),
    ],
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def make_index(root: str, fake=FAKE) -> str:
    """Write configs, metafiles and a model index under ``root``."""
    imports = []
    for method, models in fake.items():
        folder = osp.join(root, 'configs', method)
        os.makedirs(folder, exist_ok=True)
        lines = ['Models:']
        for name, text, cells in models:
            with open(osp.join(folder, name + '.py'), 'w') as f:
                f.write(text)
            lines += [f'  - Name: {name}',
                      f'    Config: configs/{method}/{name}.py',
                      '    Metadata:', '      Paper Cells:']
            lines += [f'        - {{Table: {t}, Row: {_quote(r)}, Column: '
                      f'{_quote(c)}, Metric: {m}, Value: {v}}}'
                      for t, r, c, m, v in cells]
        with open(osp.join(folder, 'metafile.yml'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
        imports.append(f'  - configs/{method}/metafile.yml')
    index = osp.join(root, 'model-index.yml')
    with open(index, 'w') as f:
        f.write('Import:\n' + '\n'.join(imports) + '\n')
    return index


def touch(path: str, text: str = '') -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


@pytest.fixture
def fake(tmp_path):
    """Index, configs and a work root where base_r18 has seed 0 finished,
    seed 1 interrupted and seed 2 not started."""
    index = make_index(str(tmp_path / 'repo'))
    work = tmp_path / 'work'
    touch(str(work / 'base_r18_8xb32_in1k/seed0/epoch_3.pth'))
    touch(str(work / 'base_r18_8xb32_in1k/seed1/epoch_2.pth'))
    touch(str(work / 'base_r18_8xb32_in1k/seed1/last_checkpoint'),
          str(work / 'base_r18_8xb32_in1k/seed1/epoch_2.pth'))
    touch(str(work / 'uskd_r18_8xb32_in1k/seed0/finished'))
    touch(str(work / 'target_r18_8xb32_in1k/seed0/iter_100.pth'))
    return index, str(work), str(tmp_path / 'repo')


def run(capsys, argv: Sequence[str]) -> List[str]:
    assert reproduce.main(list(argv)) == 0
    return capsys.readouterr().out.splitlines()


def seed_lines(lines: List[str]) -> List[str]:
    return [line.strip() for line in lines if line.startswith('  seed ')]


def config_names(lines: List[str]) -> List[str]:
    """Names of the configs in the plan (each line before its cells)."""
    return [line.split(' (')[0] for line, after in zip(lines, lines[1:])
            if after.startswith('  cells: ')]


def test_dry_run_lists_table_with_accumulation_seeds_resume(fake, capsys):
    index, work, repo = fake
    lines = run(capsys, ['2', '--index', index, '--work-root', work,
                         '--gpus', '4', '--seeds', '3', '--dry-run'])
    cfg = osp.join(repo, 'configs')

    def cmd(method, name, seed, accum, resume=False):
        return (f'bash tools/dist_train.sh {cfg}/{method}/{name}.py 4 '
                f'--work-dir {work}/{name}/seed{seed} '
                + ('--resume ' if resume else '') +
                f'--cfg-options randomness.seed={seed} '
                f'optim_wrapper.accumulative_counts={accum}')

    base, uskd = 'base_r18_8xb32_in1k', 'uskd_r18_8xb32_in1k'
    cifar, ls = 'uskd_r18_8xb16_cifar100', 'ls_r18_8xb32_in1k'
    assert seed_lines(lines) == [
        f'seed 0  skip    finished (epoch_3.pth) {work}/{base}/seed0',
        f'seed 1  resume  {cmd("baseline", base, 1, 2, resume=True)}',
        f'seed 2  train   {cmd("baseline", base, 2, 2)}',
        f'seed 0  skip    finished (finished marker) {work}/{uskd}/seed0',
        f'seed 1  train   {cmd("uskd", uskd, 1, 2)}',
        f'seed 2  train   {cmd("uskd", uskd, 2, 2)}',
        # The config accumulates 2 already: 2 x (8 / 4).
        f'seed 0  train   {cmd("uskd", cifar, 0, 4)}',
        f'seed 1  train   {cmd("uskd", cifar, 1, 4)}',
        f'seed 2  train   {cmd("uskd", cifar, 2, 4)}',
        f'seed 0  train   {cmd("ls", ls, 0, 2)}',
        f'seed 1  train   {cmd("ls", ls, 1, 2)}',
        f'seed 2  train   {cmd("ls", ls, 2, 2)}',
    ]
    text = '\n'.join(lines)
    assert 'kept by gradient accumulation' in text
    assert ('gradient accumulation x2: 4 GPUs x 32 x 2 = total batch 256'
            in text)
    assert lines[-1] == '10 to launch, 2 finished (skipped)'
    # Every run has its own work dir.
    dirs = [line.split('--work-dir ')[1].split()[0]
            for line in seed_lines(lines) if '--work-dir' in line]
    assert len(dirs) == len(set(dirs)) == 10


def test_config_gpus_need_no_accumulation_and_first_seed(fake, capsys):
    index, work, _ = fake
    lines = run(capsys, ['2', '--index', index, '--work-root', work,
                         '--configs', 'ls_r18_8xb32_in1k', '--seeds', '2',
                         '--first-seed', '5', '--dry-run'])
    assert [line.split('  ')[0:2] for line in seed_lines(lines)] == [
        ['seed 5', 'train'], ['seed 6', 'train']]
    assert all(line.endswith(f'randomness.seed={s}')
               for line, s in zip(seed_lines(lines), (5, 6)))
    assert 'accumulative_counts' not in '\n'.join(seed_lines(lines))
    assert 'ls_r18_8xb32_in1k (' in lines[3] and \
        lines[3].endswith('as configured (8 GPUs x 32)')


def test_iteration_schedule_and_cells_subset(fake, capsys):
    index, work, _ = fake
    lines = run(capsys, ['8', '--index', index, '--work-root', work,
                         '--dry-run'])
    assert seed_lines(lines) == [
        f'seed 0  skip    finished (iter_100.pth) '
        f'{work}/target_r18_8xb32_in1k/seed0']
    lines = run(capsys, ['2', '--index', index, '--work-root', work,
                         '--cells', 'USKD::CIFAR100 ResNet18', 'LS',
                         '--gpus', '8', '--dry-run'])
    assert config_names(lines) == ['uskd_r18_8xb16_cifar100',
                                   'ls_r18_8xb32_in1k']


def test_auto_scale_lr_instead_of_accumulation(fake, capsys):
    index, work, _ = fake
    lines = run(capsys, ['4', '--index', index, '--work-root', work,
                         '--gpus', '2', '--auto-scale-lr', '--dry-run'])
    line, = seed_lines(lines)
    assert '--auto-scale-lr --cfg-options randomness.seed=0' in line
    assert 'accumulative_counts' not in line
    assert 'learning rate scaled by --auto-scale-lr' in '\n'.join(lines)
    assert 'total batch 512 instead of 1024, lr x 512/256' in '\n'.join(
        lines)


def test_slurm_commands(fake, capsys):
    index, work, repo = fake
    lines = run(capsys, ['4', '--index', index, '--work-root', work,
                         '--launcher', 'slurm', '--partition', 'gpu',
                         '--gpus', '2', '--dry-run'])
    name = 'uskd_deit-tiny_4xb256_in1k'
    assert seed_lines(lines) == [
        f'seed 0  train   GPUS=2 GPUS_PER_NODE=2 bash tools/slurm_train.sh '
        f'gpu {name}_seed0 {repo}/configs/uskd/{name}.py {work}/{name}/seed0'
        f' --cfg-options randomness.seed=0 '
        f'optim_wrapper.accumulative_counts=2']


@pytest.mark.parametrize('argv, expected', [
    (['10'], 'valid tables: 1, 2, 3, 4, 5, 6, 7, 8, 9'),
    (['6'], 'tables with configs: 2, 3, 4, 5, 7, 8, 9'),
    (['2', '--configs', 'nkd_r18'],
     'valid configs: base_r18_8xb32_in1k, uskd_r18_8xb32_in1k, '
     'uskd_r18_8xb16_cifar100, ls_r18_8xb32_in1k'),
    (['2', '--cells', 'KD::ImageNet ResNet-18'],
     'Baseline::ImageNet ResNet-18; USKD::ImageNet ResNet-18; '
     'USKD::CIFAR100 ResNet18; LS::ImageNet ResNet-18'),
    (['2', '--gpus', '3'], 'use --gpus 1 / 2 / 4 / 8 or --auto-scale-lr'),
    (['2', '--gpus', '16'], 'use --gpus 1 / 2 / 4 / 8 or --auto-scale-lr'),
    (['2', '--launcher', 'slurm'], '--launcher slurm needs --partition'),
    (['2', '--cfg-options', 'randomness.seed=3'], 'set by this tool'),
])
def test_errors_list_the_valid_choices(fake, capsys, argv, expected):
    index, work, _ = fake
    with pytest.raises(SystemExit) as exc:
        reproduce.main(argv + ['--index', index, '--work-root', work,
                               '--dry-run'])
    assert exc.value.code == 2
    assert expected in capsys.readouterr().err


def test_colliding_config_names_are_refused(tmp_path, capsys):
    index = make_index(str(tmp_path), {
        'a': [('x_8xb32_in1k', epoch_config(), [(1, 'A', 'C', 'Top 1 '
                                                 'Accuracy', '1.0')])],
        'b': [('x_8xb32_in1k', epoch_config(), [(1, 'B', 'C', 'Top 1 '
                                                 'Accuracy', '2.0')])]})
    with pytest.raises(SystemExit):
        reproduce.main(['1', '--index', index, '--dry-run'])
    assert 'work dirs would collide' in capsys.readouterr().err


def test_launch_runs_sequentially_and_stops_at_a_failure(fake, capsys,
                                                         monkeypatch):
    index, work, _ = fake
    calls = []

    def call(command, cwd, env):
        calls.append((command, cwd))
        return 1 if len(calls) == 1 else 0  # the first run fails

    monkeypatch.setattr(plan_module.subprocess, 'call', call)
    argv = ['9', '--index', index, '--work-root', work, '--seeds', '3']
    assert reproduce.main(argv) == 1
    # Seed 0 of both configs is finished: the first to launch is the
    # baseline's interrupted seed 1, and its failure stops the rest.
    assert len(calls) == 1 and calls[0][1] == REPO
    assert calls[0][0][:2] == ['bash', 'tools/dist_train.sh']
    assert '--resume' in calls[0][0]
    assert 'failed: base_r18_8xb32_in1k seed 1 (exit 1)' in \
        capsys.readouterr().err
    calls.clear()
    assert reproduce.main(argv + ['--keep-going']) == 1
    assert [(c[0][5].split('/')[-2], c[0][-1]) for c in calls] == [
        ('base_r18_8xb32_in1k', 'randomness.seed=1'),
        ('base_r18_8xb32_in1k', 'randomness.seed=2'),
        ('uskd_r18_8xb32_in1k', 'randomness.seed=1'),
        ('uskd_r18_8xb32_in1k', 'randomness.seed=2')]


def test_a_run_shortened_by_cfg_options_is_finished_at_its_own_end(
        fake, capsys):
    # The run trained 1 epoch (--cfg-options train_cfg.max_epochs=1); the
    # config MMEngine dumped into its work dir says so, the config file says
    # 3: the run is finished, not interrupted.
    index, work, repo = fake
    seed1 = osp.join(work, 'base_r18_8xb32_in1k', 'seed1')
    touch(osp.join(seed1, 'epoch_1.pth'))
    touch(osp.join(seed1, 'base_r18_8xb32_in1k.py'),
          "train_cfg = dict(by_epoch=True, max_epochs=1)\n")
    lines = run(capsys, ['2', '--index', index, '--work-root', work,
                         '--gpus', '8', '--seeds', '2', '--dry-run',
                         '--cells', 'Baseline::ImageNet ResNet-18'])
    assert seed_lines(lines)[1] == (
        f'seed 1  skip    finished (epoch_1.pth) {seed1}')
