"""The released teachers behind the paper's numbers: download, convert and
check them, trusting on first use.

``fetch_teachers`` downloads each source once into ``<root>/downloads/``,
converts every teacher it holds into a checkpoint of this package's
networks at ``<root>/<path>`` (the path the configs load), and keeps the
sha256 of every downloaded and converted file in ``<root>/SHA256SUMS``
(``sha256sum`` format). The first download records a hash; any later
download or conversion whose hash differs is refused before anything is
converted or replaced. ``sha256sum -c SHA256SUMS`` in the root checks the
files; two people compare their ``SHA256SUMS`` to know that they distil
from the same teachers.
"""
import hashlib
import io
import os
import os.path as osp
import shutil
import tarfile
import tempfile
import urllib.parse
import urllib.request
from typing import Dict, Iterable, List, NamedTuple, Optional

from torch.hub import HASH_REGEX

from mmcls_kd.checkpoint import file_sha256, read_state_dict, save_checkpoint
from mmcls_kd.checkpoint.convert import cifar_zoo, torchvision_resnet

#: Where the configs expect the converted teachers (relative paths resolve
#: from the working directory, the repository root).
DEFAULT_ROOT = 'checkpoints'
SUMS = 'SHA256SUMS'
FETCH_COMMAND = 'python tools/model_converters/fetch_teachers.py'

#: Public sources. CRD's own server for the CIFAR-100 teachers
#: (shape2prog.csail.mit.edu, RepDistiller's fetch_pretrained_teachers.sh)
#: no longer answers; mdistiller republished the same files in one archive.
#: The torchvision files are the ones mdistiller's and ReviewKD's ImageNet
#: code loads (``pretrained=True``); their names carry a sha256 prefix.
SOURCES = {
    'cifar100': 'https://github.com/megvii-research/mdistiller/releases/'
    'download/checkpoints/cifar_teachers.tar',
    'tv-resnet34': 'https://download.pytorch.org/models/'
    'resnet34-333f7ec4.pth',
    'tv-resnet50': 'https://download.pytorch.org/models/'
    'resnet50-19c8e357.pth',
}


class Teacher(NamedTuple):
    """One released teacher and where its converted checkpoint goes."""
    name: str
    path: str  # relative to the root
    source: str  # a key of SOURCES
    member: str  # file inside the source archive; '' for a single file
    arch: str  # the converter's architecture name or depth
    kind: str  # 'crd' or 'torchvision'


def _crd(arch: str) -> Teacher:
    """A CRD teacher, by the name of CRD's ``model_dict``."""
    return Teacher(f'{arch.lower()}_cifar100', f'cifar100/{arch.lower()}.pth',
                   'cifar100',
                   f'cifar_teachers/{arch}_vanilla/ckpt_epoch_240.pth', arch,
                   'crd')


#: Every teacher released with CRD (CIFAR-100 top-1 in RepDistiller's
#: README: resnet32x4 79.42, vgg13 74.64, ResNet50 79.34, wrn_40_2 75.61,
#: resnet56 72.34, resnet110 74.31) and torchvision's ResNet-34 (73.31) and
#: ResNet-50 (76.13).
TEACHERS: Dict[str, Teacher] = {
    t.name: t
    for t in (
        _crd('resnet32x4'),
        _crd('vgg13'),
        _crd('ResNet50'),
        _crd('wrn_40_2'),
        _crd('resnet56'),
        _crd('resnet110'),
        Teacher('tv-resnet34_in1k', 'imagenet/tv-resnet34.pth', 'tv-resnet34',
                '', '34', 'torchvision'),
        Teacher('tv-resnet50_in1k', 'imagenet/tv-resnet50.pth', 'tv-resnet50',
                '', '50', 'torchvision'),
    )
}


class TeacherHashError(RuntimeError):
    """A file's sha256 differs from the one recorded in SHA256SUMS."""


def missing_teacher_hint(path: str) -> str:
    """' (...)' naming the command that writes ``path`` when it is one of
    the converted teachers, else ''."""
    normalized = osp.normpath(path).replace(os.sep, '/')
    for teacher in TEACHERS.values():
        if normalized.endswith(f'{DEFAULT_ROOT}/{teacher.path}'):
            return (f'; it is the released teacher {teacher.name}: download '
                    f'and convert it with `{FETCH_COMMAND} --only '
                    f'{teacher.name}` (run from the repository root)')
    return ''


def read_sums(root: str) -> Dict[str, str]:
    """``{relative path: sha256}`` of ``<root>/SHA256SUMS`` ({} if absent)."""
    sums = {}
    path = osp.join(root, SUMS)
    if osp.isfile(path):
        with open(path) as f:
            for line in f:
                if line.strip():
                    digest, name = line.rstrip('\n').split(None, 1)
                    sums[name.lstrip('*')] = digest
    return sums


def write_atomic(path: str, write) -> None:
    """Write ``path`` through ``write(binary file)`` into a temporary file
    renamed into place: a crash leaves the old file or none, never half."""
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=osp.dirname(path) or '.', suffix='.partial')
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def _write_sums(root: str, sums: Dict[str, str]) -> None:
    text = ''.join(f'{sums[name]}  {name}\n' for name in sorted(sums))
    write_atomic(osp.join(root, SUMS), lambda f: f.write(text.encode()))


def _check(name: str, digest: str, sums: Dict[str, str], origin: str) -> None:
    """Record ``digest`` for ``name`` on first use; refuse a different one."""
    recorded = sums.get(name)
    if recorded is None:
        sums[name] = digest
    elif recorded != digest:
        raise TeacherHashError(
            f'{name}: sha256 {digest} differs from {recorded} recorded in '
            f'{SUMS} (from {origin}). Refused: nothing was converted or '
            'replaced. If the new file is the right one, delete its line '
            f'from {SUMS} and run again; compare {SUMS} with a colleague\'s '
            'first.')


def _download(url: str, root: str, sums: Dict[str, str], log) -> str:
    """The path of ``url``'s file under ``<root>/downloads``, downloaded
    unless already there, its hash checked against SHA256SUMS."""
    name = 'downloads/' + osp.basename(urllib.parse.urlparse(url).path)
    path = osp.join(root, name)
    if osp.isfile(path):
        _check(name, file_sha256(path), sums, f'the file already in {path}')
        return path
    log(f'downloading {url}')
    os.makedirs(osp.dirname(path), exist_ok=True)
    partial = path + '.partial'
    try:
        try:
            with urllib.request.urlopen(url) as response, \
                    open(partial, 'wb') as f:
                shutil.copyfileobj(response, f)
        except OSError as err:
            raise OSError(f'could not download {url}: {err}') from err
        digest = file_sha256(partial)
        # torchvision-style names carry the first digits of their sha256.
        prefix = HASH_REGEX.search(osp.basename(path))
        if prefix and not digest.startswith(prefix.group(1)):
            raise TeacherHashError(
                f'{name}: sha256 {digest} does not start with the '
                f'{prefix.group(1)} its name promises (from {url}); refused')
        _check(name, digest, sums, url)
    except BaseException:
        if osp.exists(partial):
            os.remove(partial)
        raise
    os.replace(partial, path)
    return path


def _load_raw(teacher: Teacher, downloaded: str) -> dict:
    """The teacher's state dict from its downloaded file, read without
    running code from it."""
    if not teacher.member:
        return read_state_dict(downloaded)[0]
    with tarfile.open(downloaded) as archive:
        try:
            member = archive.extractfile(teacher.member)
        except KeyError:
            member = None
        if member is None:
            raise FileNotFoundError(
                f'{downloaded} holds no file {teacher.member}')
        with tempfile.NamedTemporaryFile(suffix='.pth') as tmp:
            shutil.copyfileobj(member, tmp)
            tmp.flush()
            return read_state_dict(tmp.name)[0]


def convert_teacher(teacher: Teacher, downloaded: str) -> dict:
    """The checkpoint (``state_dict`` + ``meta``) of ``teacher`` for this
    package's networks."""
    state = _load_raw(teacher, downloaded)
    if teacher.kind == 'crd':
        converter = cifar_zoo
        arch = teacher.arch
    else:
        converter = torchvision_resnet
        arch = int(teacher.arch)
    converted = converter.convert(state, arch)
    num_classes = converted['head.fc.weight'].shape[0]
    meta = dict(
        teacher=teacher.name,
        source=SOURCES[teacher.source] +
        (f'#{teacher.member}' if teacher.member else ''),
        model=converter.classifier_config(arch, num_classes))
    return dict(state_dict=converted, meta=meta)


def fetch_teachers(root: str = DEFAULT_ROOT,
                   names: Optional[Iterable[str]] = None,
                   urls: Optional[Dict[str, str]] = None,
                   log=print) -> List[str]:
    """Download, check and convert the teachers ``names`` (all by default)
    into ``root``; return the paths written or confirmed.

    ``urls`` replaces the URL of a source (e.g. a local mirror,
    ``file://`` URLs). SHA256SUMS is updated after each file, so a run that
    is stopped keeps what it has checked.

    Raises:
        TeacherHashError: a download or a converted file whose hash differs
            from the recorded one; nothing of it is converted or replaced.
    """
    names = list(names or TEACHERS)
    unknown = [name for name in names if name not in TEACHERS]
    if unknown:
        raise ValueError(f'unknown teachers {unknown}; known: '
                         f'{", ".join(TEACHERS)}')
    sources = dict(SOURCES, **(urls or {}))
    sums = read_sums(root)
    downloaded: Dict[str, str] = {}
    written = []
    for name in names:
        teacher = TEACHERS[name]
        if teacher.source not in downloaded:
            downloaded[teacher.source] = _download(sources[teacher.source],
                                                   root, sums, log)
            _write_sums(root, sums)
        checkpoint = convert_teacher(teacher, downloaded[teacher.source])
        dst = osp.join(root, teacher.path)
        # In memory: torch.save names the archive after the file, so only
        # a file-independent serialisation hashes the same every time.
        buffer = io.BytesIO()
        save_checkpoint(checkpoint, buffer)
        data = buffer.getvalue()
        _check(teacher.path,
               hashlib.sha256(data).hexdigest(), sums,
               f'converting {downloaded[teacher.source]}')
        write_atomic(dst, lambda f: f.write(data))
        _write_sums(root, sums)
        log(f'{name} -> {dst}')
        written.append(dst)
    return written
