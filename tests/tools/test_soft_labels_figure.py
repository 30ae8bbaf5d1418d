"""tools/visualization/soft_labels.py draws Fig. 3 from a USKD checkpoint."""
import os.path as osp

import pytest
import torch

from mmcls_kd.apis import build_model, load_config
from tests.conftest import KD_CONFIG, QUICK, load_tool

soft_labels = load_tool('tools/visualization/soft_labels.py')

USKD = osp.join(QUICK, 'uskd_resnet18-w16_1xb32_digits.py')


@pytest.fixture(scope='module')
def uskd_checkpoint(tmp_path_factory):
    model = build_model(load_config(USKD))
    path = tmp_path_factory.mktemp('uskd') / 'epoch_1.pth'
    torch.save({'meta': {}, 'state_dict': model.state_dict()}, path)
    return str(path)


def test_figure_is_written(tmp_path, uskd_checkpoint):
    out = tmp_path / 'fig3.png'
    soft_labels.main([USKD, uskd_checkpoint, '--out', str(out),
                      '--num-images', '4'])
    data = out.read_bytes()
    assert data[:8] == b'\x89PNG\r\n\x1a\n' and len(data) > 5000


def test_soft_labels_match_the_loss_code(uskd_checkpoint):
    from mmengine.dataset import pseudo_collate

    from mmcls_kd.datasets import Digits
    model = build_model(load_config(USKD), uskd_checkpoint)
    dataset = Digits('test', pipeline=[dict(type='PackInputs')])
    batch = pseudo_collate([dataset[i] for i in range(5)])
    soft = soft_labels.compute_soft_labels(model, batch)
    labels = torch.cat([s.gt_label for s in batch['data_samples']])
    assert torch.equal(soft['target_index'][:, 0], labels)
    assert torch.allclose(soft['non_target'].sum(1), torch.ones(5))
    assert not soft['target_valid'][:, 1].any()


def test_non_uskd_config_is_refused(tmp_path, random_teacher_ckpt):
    cfg = load_config(KD_CONFIG, {'model.teacher_ckpt': random_teacher_ckpt})
    model = build_model(cfg)
    with pytest.raises(ValueError, match='USKDLoss'):
        soft_labels.uskd_loss_name(model)
