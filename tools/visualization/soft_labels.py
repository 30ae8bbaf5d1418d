"""Draw USKD's customised soft labels, like Fig. 3 of the NKD/USKD paper.

For a few images of the config's validation set: the image, its target
class with the soft target value ``P_t`` (Eq. 6), and the three non-target
classes with the largest Zipf labels ``N(Z)`` (Eq. 12), all computed by
``USKDLoss.soft_labels``, the code the loss trains with.

    python tools/visualization/soft_labels.py CONFIG CHECKPOINT --out fig.png
        [--num-images 6] [--start 0] [--cfg-options key=value ...]

CONFIG is a USKD config (``SelfDistillation`` with a ``USKDLoss``) and
CHECKPOINT a checkpoint of its run.
"""
import argparse
from typing import List

import matplotlib
import torch

import mmcls_kd  # noqa: F401
from mmcls_kd.apis import build_model, load_config
from mmcls_kd.models.losses import USKDLoss

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402


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


def _image(tensor: torch.Tensor):
    image = tensor.permute(1, 2, 0).numpy()
    return image[..., 0] if image.shape[2] == 1 else image


def draw(images: List[torch.Tensor], soft: dict, classes, out: str) -> None:
    count = len(images)
    columns = min(count, 3)
    rows = (count + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns,
                                                      4.0 * rows),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis('off')
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
        ax.set_title('\n'.join(lines), fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


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
    draw(batch['inputs'], soft, classes, args.out)
    print(f'wrote {args.out} ({stop - args.start} images)')


if __name__ == '__main__':
    main()
