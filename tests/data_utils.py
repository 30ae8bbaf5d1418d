"""Tiny data sets written in the real on-disk formats of MMPretrain and
MMDetection."""
import json
import os
import pickle

import numpy as np


def write_imagenet(root, num_images=4, num_classes=1000, size=40, seed=0):
    """ImageNet layout: ``{train,val}/<wnid>/<name>.JPEG`` and
    ``meta/{train,val}.txt`` with ``path label`` lines."""
    from PIL import Image
    rng = np.random.RandomState(seed)
    os.makedirs(os.path.join(root, 'meta'), exist_ok=True)
    for split in ('train', 'val'):
        lines = []
        for i in range(num_images):
            label = int(rng.randint(num_classes))
            rel = f'n{label:08d}/{split}_{i}.JPEG'
            path = os.path.join(root, split, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            pixels = rng.randint(0, 256, (size, size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(path, format='JPEG')
            lines.append(f'{rel} {label}')
        with open(os.path.join(root, 'meta', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    return str(root)


def write_cifar100(root, num_images=4, seed=0):
    """CIFAR-100's python pickles: ``cifar-100-python/{train,test,meta}``."""
    rng = np.random.RandomState(seed)
    folder = os.path.join(root, 'cifar-100-python')
    os.makedirs(folder, exist_ok=True)
    for split in ('train', 'test'):
        entry = {
            'data': rng.randint(0, 256, (num_images, 3 * 32 * 32),
                                dtype=np.uint8),
            'fine_labels': [int(x) for x in rng.randint(100, size=num_images)],
        }
        with open(os.path.join(folder, split), 'wb') as f:
            pickle.dump(entry, f)
    with open(os.path.join(folder, 'meta'), 'wb') as f:
        pickle.dump({'fine_label_names': [f'c{i}' for i in range(100)]}, f)
    return str(root)


def write_coco(root, class_names, num_images=2, size=64, boxes_per_image=2,
               seed=0):
    """COCO instance segmentation: ``images/<name>.jpg`` and
    ``annotations/instances.json`` with boxes (``[x, y, w, h]``) and one
    polygon per object (the box's corners). Category ``i + 1`` is
    ``class_names[i]``: MMDetection's CocoDataset keeps only categories
    named as its classes, and its metric needs every class present."""
    from PIL import Image
    rng = np.random.RandomState(seed)
    os.makedirs(os.path.join(root, 'images'), exist_ok=True)
    os.makedirs(os.path.join(root, 'annotations'), exist_ok=True)
    categories = [{'id': i + 1, 'name': name}
                  for i, name in enumerate(class_names)]
    images, annotations = [], []
    for image_id in range(1, num_images + 1):
        name = f'{image_id:012d}.jpg'
        pixels = rng.randint(0, 256, (size, size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(os.path.join(root, 'images', name))
        images.append({'id': image_id, 'file_name': name, 'width': size,
                       'height': size})
        for _ in range(boxes_per_image):
            w, h = (int(v) for v in rng.randint(size // 4, size // 2, 2))
            x, y = (int(v) for v in rng.randint(0, size - max(w, h), 2))
            polygon = [x, y, x + w, y, x + w, y + h, x, y + h]
            annotations.append({
                'id': len(annotations) + 1, 'image_id': image_id,
                'category_id': int(rng.randint(len(categories))) + 1,
                'bbox': [x, y, w, h], 'area': w * h, 'iscrowd': 0,
                'segmentation': [polygon]})
    with open(os.path.join(root, 'annotations', 'instances.json'), 'w') as f:
        json.dump({'images': images, 'annotations': annotations,
                   'categories': categories}, f)
    return str(root)
