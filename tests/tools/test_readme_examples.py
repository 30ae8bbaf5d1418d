"""The README's multi-GPU override example, run as written (one process)
on a tiny data set laid out as ImageNet, with a random teacher: the data
root reaches every loader the run uses and every override lands."""
import json

import torch
from PIL import Image

from tests.conftest import REPO, load_tool

CONFIG = f'{REPO}/configs/nkd/nkd_resnet34_resnet18_8xb32_in1k.py'


def _tiny_imagenet(root):
    """Two classes, two training and one validation image each."""
    (root / 'meta').mkdir(parents=True)
    for split, count in (('train', 2), ('val', 1)):
        lines = []
        for label, wnid in enumerate(('n01440764', 'n01443537')):
            (root / split / wnid).mkdir(parents=True)
            for i in range(count):
                name = f'{wnid}/{i}.JPEG'
                Image.new('RGB', (64, 48), (40 * label, 90, 160)).save(
                    root / split / name)
                lines.append(f'{name} {label}')
        (root / 'meta' / f'{split}.txt').write_text('\n'.join(lines) + '\n')


def _random_resnet34(path):
    from mmengine.registry import DefaultScope

    from mmcls_kd.registry import MODELS
    from tests.conftest import parsed_config
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        teacher = MODELS.build(parsed_config(CONFIG).model.teacher)
    torch.save({'state_dict': teacher.state_dict()}, path)


def test_the_override_example_runs_as_written(tmp_path):
    _tiny_imagenet(tmp_path / 'imagenet')
    _random_resnet34(tmp_path / 'teacher.pth')
    work = tmp_path / 'work'
    train = load_tool('tools/train.py')
    train.main([
        CONFIG, '--work-dir', str(work),
        '--data-root', str(tmp_path / 'imagenet'),
        '--cfg-options',
        'model.distiller.distill_losses.loss_nkd.gamma=2.0',
        'model.architecture.head.loss.loss_weight=1.0',
        # What a tiny CPU run needs besides the example.
        f'model.teacher_ckpt={tmp_path / "teacher.pth"}',
        'train_cfg.max_epochs=1', 'train_dataloader.batch_size=2',
        'val_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'val_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.persistent_workers=False'
    ])
    dumped = (work / 'nkd_resnet34_resnet18_8xb32_in1k.py').read_text()
    assert "gamma=2.0" in dumped
    scalars = next(work.glob('*/vis_data/scalars.json')).read_text()
    rows = [json.loads(line) for line in scalars.splitlines()]
    assert [r['step'] for r in rows if 'accuracy/top1' in r] == [1]
    assert any('distill.loss_nkd' in r for r in rows)
