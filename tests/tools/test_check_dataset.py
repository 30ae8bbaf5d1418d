"""tools/misc/check_dataset.py opens every image of the configured splits
and lists the ones a run would fail on."""
import os.path as osp

from PIL import Image

from tests.conftest import QUICK, load_tool

check_dataset = load_tool('tools/misc/check_dataset.py')


def _write_config(tmp_path, root):
    dataset = (f"dict(type='CustomDataset', data_root={root!r}, "
               "pipeline=[dict(type='LoadImageFromFile')])")
    path = tmp_path / 'data.py'
    path.write_text(f"default_scope = 'mmpretrain'\n"
                    f'train_dataloader = dict(dataset={dataset})\n'
                    f'val_dataloader = dict(dataset={dataset})\n')
    return str(path)


def test_a_corrupted_image_is_listed_and_fails_the_check(tmp_path, capsys):
    root = tmp_path / 'images'
    for name in ('cat', 'dog'):
        (root / name).mkdir(parents=True)
        Image.new('RGB', (4, 4)).save(root / name / 'good.png')
    # A download cut short: a PNG header and nothing after it.
    (root / 'dog' / 'cut.png').write_bytes(b'\x89PNG\r\n\x1a\n')
    code = check_dataset.main(
        [_write_config(tmp_path, str(root)), '--splits', 'train', 'val'])
    out = capsys.readouterr().out
    assert code == 1
    assert out.count('3 images opened, 1 unreadable') == 2
    assert osp.join('dog', 'cut.png') in out


def test_readable_images_pass(tmp_path, capsys):
    root = tmp_path / 'images'
    (root / 'cat').mkdir(parents=True)
    Image.new('RGB', (4, 4)).save(root / 'cat' / 'good.png')
    assert check_dataset.main(
        [_write_config(tmp_path, str(root)), '--splits', 'train']) == 0
    assert '1 images opened, 0 unreadable' in capsys.readouterr().out


def test_in_memory_data_sets_say_there_is_nothing_to_open(capsys):
    config = osp.join(QUICK, 'resnet18-w16_1xb32_digits.py')
    assert check_dataset.main([config, '--splits', 'val']) == 0
    assert 'held in memory' in capsys.readouterr().out
