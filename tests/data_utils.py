"""Tiny data sets written in the real on-disk formats of MMPretrain."""
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
