"""Table 7's detection path with MMDetection: the backbone of a USKD
ResNet-50 run, extracted by ``mmcls_kd.checkpoint.student``, initialises
Mask R-CNN R50-FPN, which trains on COCO-format data under ``KDRunner``; a
missing backbone file stops ``tools/train.py`` before training.

Needs mmcv with compiled ops (``tools/install_mmcv_ops.sh``) and
MMDetection (``pip install -e ".[det]"``); skipped otherwise.
"""
import importlib.util
import math
import os.path as osp
import re
import subprocess
import sys

import pytest


def _missing_requirement():
    try:
        import mmcv.ops  # noqa: F401
    except (ImportError, OSError):
        return ('mmcv with compiled ops is not installed (mmcv-lite has '
                'none): run tools/install_mmcv_ops.sh')
    if importlib.util.find_spec('mmdet') is None:
        return 'MMDetection is not installed: pip install -e ".[det]"'
    return None


if _missing_requirement():
    pytest.skip(_missing_requirement(), allow_module_level=True)

import torch  # noqa: E402
from mmdet.datasets import CocoDataset  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402

from mmcls_kd.apis import build_runner, load_config  # noqa: E402
from mmcls_kd.checkpoint import save_student  # noqa: E402
from mmcls_kd.reproduction import (  # noqa: E402
    METRIC_KEYS, last_and_best, read_run, read_schedule)
from tests.checkpoint.test_student import (  # noqa: E402
    algorithm_cfg, build, save_run_checkpoint)
from tests.conftest import REPO, tool_env  # noqa: E402
from tests.data_utils import write_coco  # noqa: E402

DOWNSTREAM = osp.join(REPO, 'configs', 'downstream')
BASELINE = osp.join(DOWNSTREAM, 'mask-rcnn_r50_fpn_1x_coco.py')
USKD = osp.join(DOWNSTREAM, 'mask-rcnn_r50-uskd_fpn_1x_coco.py')
USKD_R50 = osp.join(REPO, 'configs', 'uskd', 'uskd_resnet50_8xb32_in1k.py')
USKD_BACKBONE = 'work_dirs/uskd_resnet50_8xb32_in1k/backbone.pth'
COCO_CLASSES = CocoDataset.METAINFO['classes']
LOSSES = ('loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox',
          'loss_mask')


def calibrate_norms(backbone, size=64, seed=0):
    """BatchNorm statistics of the backbone's own activations on random
    images, as training leaves them: not the initial zeros and ones (so
    that loading them is seen), and eval-mode features of a sane scale."""
    norms = [m for m in backbone.modules()
             if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # a plain average over the batches seen
    generator = torch.Generator().manual_seed(seed)
    backbone.train()
    with torch.no_grad():
        backbone(torch.randn(4, 3, size, size, generator=generator))
    backbone.eval()
    for norm in norms:
        norm.momentum = 0.1


@pytest.fixture(scope='module')
def uskd_backbone(tmp_path_factory):
    """A USKD ResNet-50 run's checkpoint converted to a backbone file, and
    the student backbone's state dict. The run's classifier file stands in
    for MMPretrain's released ResNet-50: both hold an ImageClassifier."""
    folder = tmp_path_factory.mktemp('uskd_r50')
    model = algorithm_cfg(USKD_R50)
    # 10 classes keep the file small; the backbone is the real ResNet-50.
    model.architecture.head.num_classes = 10
    model.distiller.connectors.weak.num_classes = 10
    algorithm = build(model)
    calibrate_norms(algorithm.architecture.backbone)
    source = save_run_checkpoint(algorithm, folder / 'epoch_100.pth')
    expected = {k: v.clone() for k, v in
                algorithm.architecture.backbone.state_dict().items()}
    del algorithm
    path = str(folder / 'backbone.pth')
    save_student(source, path, mode='backbone')
    save_student(source, str(folder / 'classifier.pth'), mode='classifier')
    return path, expected


@pytest.mark.parametrize('config', [BASELINE, USKD], ids=osp.basename)
def test_configs_keep_mmdetections_recipe(config):
    cfg = Config.fromfile(config)
    assert cfg.default_scope == 'mmdet'
    assert cfg.runner_type == 'mmcls_kd.KDRunner'
    assert cfg.custom_imports['imports'] == ['mmcls_kd']
    assert cfg.model.type == 'MaskRCNN' and cfg.model.backbone.depth == 50
    # 1x: 12 epochs; 8 GPUs x 2 images.
    assert cfg.train_cfg.max_epochs == 12
    assert cfg.train_dataloader.batch_size == 2
    assert cfg.auto_scale_lr.base_batch_size == 16
    assert cfg.optim_wrapper.optimizer.lr == 0.02
    # Table 7's AR^box is logged, under the key its cells are read from.
    assert METRIC_KEYS['box AR'] == 'coco/bbox_AR@100'
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        assert evaluator.metric_items[0] == 'mAP'
        assert 'AR@100' in evaluator.metric_items
    init_cfg = cfg.model.backbone.init_cfg
    if config == BASELINE:
        # MMPretrain's ResNet-50 of 76.55 top-1, a whole classifier.
        assert 'resnet50_8xb32_in1k_20210831' in init_cfg.checkpoint
        assert init_cfg.prefix == 'backbone.'
    else:
        assert init_cfg == dict(type='Pretrained', checkpoint=USKD_BACKBONE)


def test_uskd_config_names_the_file_its_extract_command_writes():
    with open(USKD) as f:
        text = f.read()
    command = re.search(r'extract_student\.py \\\n#\s+(\S+)\s*\\\n#\s+(\S+) '
                        r'--mode backbone', text)
    assert command, 'no extract_student command in the config comment'
    source, written = command.groups()
    assert written == USKD_BACKBONE
    run = osp.splitext(osp.basename(USKD_R50))[0]
    final = read_schedule(USKD_R50).final_checkpoint
    assert source == f'work_dirs/{run}/{final}' == \
        'work_dirs/uskd_resnet50_8xb32_in1k/epoch_100.pth'


@pytest.mark.slow
@pytest.mark.parametrize('config, checkpoint', [
    (USKD, 'backbone.pth'), (BASELINE, 'classifier.pth')],
    ids=['uskd', 'baseline'])
def test_mask_rcnn_backbone_is_the_pretrained_resnet(config, checkpoint,
                                                     uskd_backbone):
    """The USKD config loads extract_student's backbone file; the
    baseline's prefix fits a whole classifier, as MMPretrain releases."""
    from mmdet.registry import MODELS
    backbone_file, expected = uskd_backbone
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg.checkpoint = osp.join(
        osp.dirname(backbone_file), checkpoint)
    with DefaultScope.overwrite_default_scope('mmdet'):
        detector = MODELS.build(cfg.model)
    before = detector.backbone.conv1.weight.clone()
    detector.init_weights()
    loaded = detector.backbone.state_dict()
    assert set(loaded) == set(expected)
    assert not torch.equal(before, loaded['conv1.weight'])
    for key, value in expected.items():
        assert torch.equal(loaded[key], value), key


def _tiny_run_options(root, work_dir, backbone):
    options = {
        'work_dir': work_dir,
        'model.backbone.init_cfg.checkpoint': backbone,
        # Fewer sampled boxes and proposals: a CPU iteration in seconds.
        'model.train_cfg.rpn_proposal.nms_pre': 200,
        'model.train_cfg.rpn_proposal.max_per_img': 100,
        'model.train_cfg.rcnn.sampler.num': 64,
        # A detector trained one step scores every class near 1/81: keep
        # its boxes, so that COCO's AP and AR are computed (10 an image is
        # enough for that).
        'model.test_cfg.rpn.nms_pre': 200,
        'model.test_cfg.rpn.max_per_img': 100,
        'model.test_cfg.rcnn.score_thr': 0.0,
        'model.test_cfg.rcnn.max_per_img': 10,
        # 2 images, batch 2: one iteration, then validation.
        'train_cfg.max_epochs': 1,
        'val_evaluator.ann_file': osp.join(root, 'annotations',
                                           'instances.json'),
        'test_cfg': None, 'test_dataloader': None, 'test_evaluator': None,
        'default_hooks.checkpoint': None,
        'default_hooks.logger.interval': 1,
        # The detection config sets no seed: MMEngine would draw one, and
        # the chance-level loss checks would hold only most of the time.
        'randomness.seed': 0,
    }
    for loader in ('train_dataloader', 'val_dataloader'):
        options.update({
            f'{loader}.dataset.data_root': root,
            f'{loader}.dataset.ann_file': 'annotations/instances.json',
            f'{loader}.dataset.data_prefix': dict(img='images/'),
            f'{loader}.num_workers': 0,
            f'{loader}.persistent_workers': False,
        })
    return options


@pytest.mark.slow
def test_one_iteration_and_validation_from_the_uskd_backbone(
        uskd_backbone, tmp_path):
    path, expected = uskd_backbone
    root = write_coco(tmp_path / 'coco', COCO_CLASSES)
    work_dir = str(tmp_path / 'work')
    cfg = load_config(USKD, _tiny_run_options(root, work_dir, path))
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        for transform in loader.dataset.pipeline:
            if transform.type == 'Resize':
                transform.scale = (64, 64)  # MMDetection's is 1333x800
    # The runner makes its scope (mmdet) the current one: keep it in here.
    with DefaultScope.overwrite_default_scope('mmdet'):
        runner = build_runner(cfg)
        assert type(runner).__name__ == 'KDRunner'
        hooks = {type(hook).__name__ for hook in runner.hooks}
        assert 'FiniteLossHook' in hooks
        runner.train()
    scalars = runner.message_hub.log_scalars
    assert runner.iter == 1
    losses = {name: scalars[f'train/{name}'].current()
              for name in ('loss', ) + LOSSES}
    assert all(math.isfinite(v) and v > 0 for v in losses.values()), losses
    # Heads initialised with small weights on features of a sane scale:
    # near-uniform scores, i.e. the cross-entropies of chance (objectness
    # is binary, the box classifier has 80 classes + background).
    assert abs(losses['loss_rpn_cls'] - math.log(2)) < 0.05, losses
    assert abs(losses['loss_cls'] - math.log(81)) < 0.5, losses
    # conv1 and layer1 are frozen (frozen_stages=1, norm_eval): still the
    # student's weights after the step.
    trained = runner.model.backbone.state_dict()
    frozen = [k for k in expected if k.startswith(('conv1.', 'bn1.',
                                                   'layer1.'))]
    assert len(frozen) > 20
    for key in frozen:
        assert torch.equal(trained[key], expected[key]), key
    # The validation logs the keys Table 7's cells are read from.
    log = read_run(work_dir)
    for metric in ('box AP', 'box AR'):
        found = last_and_best(log, METRIC_KEYS[metric])
        assert found is not None, (metric, log.val)
        assert 0.0 <= found[0] <= 1.0


@pytest.mark.slow
def test_missing_backbone_stops_train_py_before_training(tmp_path):
    """Launched from a directory without the USKD run: the config's
    relative backbone path is missing."""
    root = write_coco(tmp_path / 'coco', COCO_CLASSES)
    options = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options += [f'{loader}.dataset.data_root={root}',
                    f'{loader}.dataset.ann_file=annotations/instances.json']
    work = tmp_path / 'work'
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'), USKD,
         '--work-dir', str(work), '--cfg-options'] + options,
        cwd=tmp_path, env=tool_env(), capture_output=True, text=True,
        timeout=600)
    assert proc.returncode != 0
    assert (f'FileNotFoundError: model.backbone.init_cfg.checkpoint does not '
            f'exist: {USKD_BACKBONE} (relative to the working directory '
            f'{tmp_path})') in proc.stderr, proc.stderr[-3000:]
    assert not work.exists()
    assert 'Epoch(train)' not in proc.stdout + proc.stderr
