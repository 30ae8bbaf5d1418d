"""Draw USKD's customised soft labels, like Fig. 3 of the NKD/USKD paper.

For a few images of the config's validation set: the image, its target
class with the soft target value ``P_t`` (Eq. 6), and the three non-target
classes with the largest Zipf labels ``N(Z)`` (Eq. 12), all computed by
``USKDLoss.soft_labels``, the code the loss trains with. A caption under the
images says what ``P_t`` is, why it can exceed 1, and why the non-target
values repeat from image to image while their classes change.

    python tools/visualization/soft_labels.py CONFIG CHECKPOINT --out fig.png
        [--num-images 6] [--start 0] [--cfg-options key=value ...]

CONFIG is a USKD config (``SelfDistillation`` with a ``USKDLoss``) and
CHECKPOINT a checkpoint of its run.
"""
import argparse
import textwrap
from typing import List

import matplotlib
import torch

import mmcls_kd  # noqa: F401
from mmcls_kd.apis import build_model, load_config
from mmcls_kd.models.losses import USKDLoss

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.layout_engine import ConstrainedLayoutEngine  # noqa: E402

# P_t under each target mode of USKDLoss, and why it exceeds 1 where it can.
TARGET_TEXTS = {
    'square': ('S_t^2 + V_t - mean(S_t^2) (Eq. 6)',
               'With a hard label (V_t = 1) it does wherever S_t^2 is above '
               'its batch mean.'),
    'linear': ('S_t + V_t - mean(S_t) (tf-NKD, Table 8)',
               'With a hard label (V_t = 1) it does wherever S_t is above '
               'its batch mean.'),
    'softmax': ('softmax over the batch of S_t, times the label mass '
                'sum(V_t) (Table 8)',
                'The values of a batch add up to its label mass (N for hard '
                'labels), so each one above the batch average does.'),
    'sqrt': ('sqrt(S_t - min(S_t)) (Table 8)', None),
    'max': ('S_t / max(S_t) (Table 8)', None),
    'mean': ('S_t / mean(S_t) (Table 8)',
             'It does wherever S_t is above its batch mean.'),
    'none': ('V_t, the label value (no target term)', None),
}
FONT_SIZE = 8


def uskd_loss_name(model) -> str:
    losses = getattr(getattr(model, 'distiller', None), 'distill_losses', {})
    names = [n for n, m in losses.items() if isinstance(m, USKDLoss)]
    if not names:
        raise ValueError('the config holds no USKDLoss: soft labels are drawn '
                         'for USKD configs')
    return names[0]


@torch.no_grad()
def compute_soft_labels(model, batch: dict) -> dict:
    """Run the student with the distiller's recorders and hand the recorded
    tensors to ``USKDLoss.soft_labels``, as training hands them to the
    loss."""
    name = uskd_loss_name(model)
    distiller = model.distiller
    data = model.data_preprocessor(batch, False)
    with distiller.student_recorders, distiller.teacher_recorders:
        model.student(data['inputs'], data['data_samples'], mode='loss')
    kwargs = {key: distiller.get_record(**record) for key, record in
              distiller.loss_forward_mappings[name].items()}
    return distiller.distill_losses[name].soft_labels(**kwargs)


def caption(loss: USKDLoss) -> str:
    """What the figure shows, for the options of ``loss``."""
    formula, above_one = TARGET_TEXTS[loss.target]
    text = ('Over each image: the target class with its soft target P_t, '
            'then the three non-target classes with the largest Zipf labels '
            "N(Z). S_t is the student's probability of the target class, "
            'V_t its label value; mean, min and max run over the batch. '
            f'P_t = {formula}. ')
    if above_one:
        text += ('P_t can exceed 1 by design: it weights -log S_t and is no '
                 f'probability. {above_one} ')
    rank = ('Eq. 10'
            if loss.rank == 'normalized' else f'Table 9, rank={loss.rank!r}')
    return text + (
        'N(Z) depends on the rank alone: the class at place k of the rank '
        f'of all classes ({rank}) gets k^-{loss.zipf_exponent:g} (Zipf\'s '
        'law, Eq. 11), then the targets are dropped and the rest '
        'normalised (Eq. 12). Images whose target takes the same place in '
        'the rank (mostly the first, once the student is trained) therefore '
        'show the same three values; only the classes they go to differ.')


def _image(tensor: torch.Tensor):
    image = tensor.permute(1, 2, 0).numpy()
    return image[..., 0] if image.shape[2] == 1 else image


def draw(images: List[torch.Tensor], soft: dict, classes,
         caption_text: str) -> Figure:
    """The figure: one panel per image, ``caption_text`` under them."""
    count = len(images)
    columns = min(count, 3)
    rows = (count + columns - 1) // columns
    width = 3.2 * columns
    # About 16 characters of the font to the inch; wrap with some margin.
    caption_lines = textwrap.wrap(caption_text, width=int(14 * width))
    caption_height = (len(caption_lines) * 1.25 + 1) * FONT_SIZE / 72
    height = 4.0 * rows + caption_height
    fig, axes = plt.subplots(rows,
                             columns,
                             figsize=(width, height),
                             squeeze=False,
                             layout=ConstrainedLayoutEngine(h_pad=0.1,
                                                            w_pad=0.1))
    for ax in axes.flat:
        ax.axis('off')
        # Centred in their panels, the images of the top row had their
        # titles clipped by the figure's edge; at the top they keep the pad.
        ax.set_anchor('N')
    for i, image in enumerate(images):
        ax = axes.flat[i]
        ax.imshow(_image(image), cmap='gray' if image.shape[0] == 1 else None)
        lines = []
        for slot in range(2):
            if soft['target_valid'][i, slot]:
                cls = int(soft['target_index'][i, slot])
                lines.append(f'target {classes[cls]}: '
                             f'{float(soft["target_value"][i, slot]):.3f}')
        top = soft['non_target'][i].topk(3)
        lines += [f'{classes[int(c)]}: {float(v):.3f}'
                  for v, c in zip(top.values, top.indices)]
        ax.set_title('\n'.join(lines), fontsize=FONT_SIZE)
    fig.supxlabel('\n'.join(caption_lines), fontsize=FONT_SIZE)
    return fig


def main(argv=None) -> None:
    from mmengine.config import DictAction
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DefaultScope

    from mmcls_kd.registry import DATASETS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True, help='PNG file to write')
    parser.add_argument('--num-images', type=int, default=6)
    parser.add_argument('--start', type=int, default=0,
                        help='index of the first validation image')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    if args.num_images < 1:
        parser.error('--num-images must be at least 1')
    cfg = load_config(args.config, args.cfg_options)
    model = build_model(cfg, args.checkpoint)
    with DefaultScope.overwrite_default_scope('mmcls_kd'):
        dataset = DATASETS.build(cfg.val_dataloader.dataset)
    stop = min(len(dataset), args.start + args.num_images)
    if args.start >= stop:
        raise ValueError(f'--start {args.start} is past the {len(dataset)} '
                         'validation images')
    batch = pseudo_collate([dataset[i] for i in range(args.start, stop)])
    soft = compute_soft_labels(model, batch)
    classes = dataset.metainfo.get('classes') or [
        str(i) for i in range(soft['non_target'].shape[1])]
    loss = model.distiller.distill_losses[uskd_loss_name(model)]
    fig = draw(batch['inputs'], soft, classes, caption(loss))
    fig.savefig(args.out, dpi=100)
    plt.close(fig)
    print(f'wrote {args.out} ({stop - args.start} images)')


if __name__ == '__main__':
    main()
