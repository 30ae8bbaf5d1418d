"""Released teachers: download from (file://) URLs, convert, and trust on
first use through SHA256SUMS."""
import argparse
import hashlib
import os.path as osp
import tarfile

import pytest
import torch
import torchvision

from mmcls_kd.apis.teachers import (SUMS, TeacherHashError, fetch_teachers,
                                    read_sums)
from mmcls_kd.models.algorithms.teacher_distill import load_teacher_weights
from tests.tools.test_convert_cifar_teacher import (crd_state_dict, logits,
                                                    random_classifier)

CIFAR = 'resnet56_cifar100'
IMAGENET = 'tv-resnet34_in1k'


def _sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def _crd_archive(directory, seed):
    """cifar_teachers.tar as mdistiller publishes it, holding resnet56."""
    torch.manual_seed(seed)
    model = random_classifier('resnet56')
    if seed:
        with torch.no_grad():
            model.head.fc.bias.add_(seed)
    ckpt = directory / 'ckpt_epoch_240.pth'
    # As CRD-lineage code saves it, training options included.
    torch.save({'epoch': 240, 'model': crd_state_dict(model, 'resnet56'),
                'accuracy': torch.tensor([72.34]),
                'opt': argparse.Namespace(model='resnet56', lr=0.05)}, ckpt)
    archive = directory / 'cifar_teachers.tar'
    with tarfile.open(archive, 'w') as tar:
        tar.add(ckpt, 'cifar_teachers/resnet56_vanilla/ckpt_epoch_240.pth')
    return model, archive


@pytest.fixture(scope='module')
def sources(tmp_path_factory):
    directory = tmp_path_factory.mktemp('sources')
    model, archive = _crd_archive(directory, seed=0)
    torch.manual_seed(0)
    resnet34 = torchvision.models.resnet34(weights=None).eval()
    saved = directory / 'resnet34.pth'
    torch.save(resnet34.state_dict(), saved)
    # torchvision names its files after the start of their sha256.
    tv_file = directory / f'resnet34-{_sha256(saved)[:8]}.pth'
    saved.rename(tv_file)
    urls = {'cifar100': archive.as_uri(), 'tv-resnet34': tv_file.as_uri()}
    return dict(urls=urls, crd_model=model, resnet34=resnet34,
                directory=directory, tv_name=tv_file.name)


@pytest.fixture(scope='module')
def fetched(sources, tmp_path_factory):
    root = str(tmp_path_factory.mktemp('checkpoints'))
    written = fetch_teachers(root, [CIFAR, IMAGENET], sources['urls'],
                             log=lambda msg: None)
    return root, written


def test_teachers_are_converted_and_recorded(fetched, sources):
    root, written = fetched
    assert written == [osp.join(root, 'cifar100/resnet56.pth'),
                       osp.join(root, 'imagenet/tv-resnet34.pth')]
    sums = read_sums(root)
    assert set(sums) == {
        'downloads/cifar_teachers.tar', 'cifar100/resnet56.pth',
        f'downloads/{sources["tv_name"]}', 'imagenet/tv-resnet34.pth'}
    for name, digest in sums.items():
        assert _sha256(osp.join(root, name)) == digest
    # sha256sum's format: '<hash>  <name>' per line.
    with open(osp.join(root, SUMS)) as f:
        first = f.readline().rstrip('\n').split('  ')
    assert len(first[0]) == 64 and first[1] in sums


def test_converted_teachers_compute_the_released_logits(fetched, sources):
    from mmengine.registry import DefaultScope

    from mmcls_kd.registry import MODELS
    root, _ = fetched
    crd = sources['crd_model']
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        student_like = MODELS.build(
            torch.load(osp.join(root, 'cifar100/resnet56.pth'))['meta'][
                'model'])
    load_teacher_weights(student_like, osp.join(root, 'cifar100/resnet56.pth'))
    assert torch.equal(logits(student_like.eval()), logits(crd))

    tv_ckpt = osp.join(root, 'imagenet/tv-resnet34.pth')
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        resnet34 = MODELS.build(torch.load(tv_ckpt)['meta']['model'])
    load_teacher_weights(resnet34, tv_ckpt)
    images = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(resnet34.eval()(images, mode='tensor'),
                           sources['resnet34'](images))


def test_second_fetch_confirms_the_same_files(fetched, sources):
    root, _ = fetched
    before = read_sums(root)
    fetch_teachers(root, [CIFAR], sources['urls'], log=lambda msg: None)
    assert read_sums(root) == before


def test_a_changed_download_is_refused(tmp_path, sources):
    root = str(tmp_path / 'checkpoints')
    fetch_teachers(root, [CIFAR], sources['urls'], log=lambda msg: None)
    converted = osp.join(root, 'cifar100/resnet56.pth')
    converted_hash = _sha256(converted)
    recorded = read_sums(root)['downloads/cifar_teachers.tar']

    other = tmp_path / 'other'
    other.mkdir()
    _, archive = _crd_archive(other, seed=1)
    # A fresh download (the cached one removed) that is not the file
    # recorded on first use.
    (tmp_path / 'checkpoints' / 'downloads' / 'cifar_teachers.tar').unlink()
    with pytest.raises(TeacherHashError) as err:
        fetch_teachers(root, [CIFAR], {'cifar100': archive.as_uri()},
                       log=lambda msg: None)
    message = str(err.value)
    assert 'downloads/cifar_teachers.tar' in message
    assert recorded in message and _sha256(archive) in message
    assert archive.as_uri() in message
    # Nothing converted or replaced, nothing half-written left.
    assert _sha256(converted) == converted_hash
    assert not osp.exists(
        osp.join(root, 'downloads', 'cifar_teachers.tar.partial'))
    assert not osp.exists(osp.join(root, 'downloads', 'cifar_teachers.tar'))
    assert read_sums(root)['downloads/cifar_teachers.tar'] == recorded


def test_a_changed_conversion_is_refused(tmp_path, sources):
    root = tmp_path / 'checkpoints'
    fetch_teachers(str(root), [CIFAR], sources['urls'], log=lambda msg: None)
    sums_file = root / SUMS
    sums_file.write_text(sums_file.read_text().replace(
        read_sums(str(root))['cifar100/resnet56.pth'], '0' * 64))
    with pytest.raises(TeacherHashError, match='cifar100/resnet56.pth'):
        fetch_teachers(str(root), [CIFAR], sources['urls'],
                       log=lambda msg: None)


def test_missing_default_teacher_names_the_command(tmp_path, monkeypatch):
    from mmcls_kd.apis import check_checkpoint_paths, load_config
    from tests.conftest import REPO
    monkeypatch.chdir(tmp_path)
    cfg = load_config(
        osp.join(REPO, 'configs/kd/kd_resnet32x4_resnet8x4_1xb64_cifar100.py'))
    with pytest.raises(FileNotFoundError) as err:
        check_checkpoint_paths(cfg)
    assert ('tools/model_converters/fetch_teachers.py --only '
            'resnet32x4_cifar100') in str(err.value)
    with pytest.raises(FileNotFoundError, match='fetch_teachers.py'):
        load_teacher_weights(torch.nn.Linear(1, 1),
                             'checkpoints/cifar100/vgg13.pth')


def test_unknown_teacher():
    with pytest.raises(ValueError, match='resnet32x4_cifar100'):
        fetch_teachers('unused', ['resnet32x4'])


def test_a_file_not_matching_the_hash_in_its_name_is_refused(tmp_path):
    wrong = tmp_path / 'resnet34-333f7ec4.pth'
    torch.save({'fc.weight': torch.zeros(1)}, wrong)
    root = tmp_path / 'checkpoints'
    with pytest.raises(TeacherHashError, match='does not start with the '
                       '333f7ec4'):
        fetch_teachers(str(root), [IMAGENET], {'tv-resnet34': wrong.as_uri()},
                       log=lambda msg: None)
    assert read_sums(str(root)) == {}
    assert not (root / 'imagenet').exists()
