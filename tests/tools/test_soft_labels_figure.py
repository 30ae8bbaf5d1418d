"""tools/visualization/soft_labels.py draws Fig. 3 from a USKD checkpoint,
with a caption that explains P_t and the repeated non-target values."""
import os.path as osp

import pytest
import torch

from mmcls_kd.apis import build_model, load_config
from mmcls_kd.models.losses import USKDLoss
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


def test_caption_explains_p_t_and_the_repeated_values(uskd_checkpoint):
    from mmengine.dataset import pseudo_collate

    from mmcls_kd.datasets import Digits
    model = build_model(load_config(USKD), uskd_checkpoint)
    dataset = Digits('test', pipeline=[dict(type='PackInputs')])
    batch = pseudo_collate([dataset[i] for i in range(4)])
    soft = soft_labels.compute_soft_labels(model, batch)
    loss = model.distiller.distill_losses['loss_uskd']
    fig = soft_labels.draw(batch['inputs'], soft, dataset.metainfo['classes'],
                           soft_labels.caption(loss))
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    (text, ) = [t for t in fig.texts if 'P_t' in t.get_text()]
    caption = ' '.join(text.get_text().split())
    assert 'P_t = S_t^2 + V_t - mean(S_t^2) (Eq. 6)' in caption
    assert 'P_t can exceed 1 by design' in caption
    assert 'gets k^-1 (Zipf' in caption
    assert 'the same three values; only the classes' in caption
    # Under the images, inside the figure.
    extent = text.get_window_extent(renderer)
    assert extent.y0 >= 0 and extent.x0 >= 0
    assert extent.x1 <= fig.bbox.x1
    assert all(extent.y1 <= ax.get_window_extent(renderer).y0
               for ax in fig.axes)
    assert all(
        ax.title.get_window_extent(renderer).y1 <= fig.bbox.y1
        for ax in fig.axes)


def test_caption_follows_the_loss_options():
    caption = soft_labels.caption(
        USKDLoss(target='max', rank='weak', zipf_exponent=1.5))
    assert 'P_t = S_t / max(S_t) (Table 8)' in caption
    assert 'exceed 1' not in caption
    assert "(Table 9, rank='weak') gets k^-1.5" in caption


def test_p_t_exceeds_1_where_the_caption_says():
    logits = torch.tensor([[4., 0., 0.], [0., 0., 0.], [0., 1., 0.],
                           [0., 0., 2.]])
    labels = torch.tensor([0, 1, 1, 2])
    weak = torch.zeros(4, 3)
    soft = USKDLoss().soft_labels(logits, labels, weak)
    # S_t in float64, straight from the softmax.
    prob_t = logits.double().softmax(1)[torch.arange(4), labels]
    above_mean = prob_t.square() > prob_t.square().mean()
    assert above_mean.any() and not above_mean.all()
    assert torch.equal(soft['target_value'][:, 0] > 1, above_mean)
