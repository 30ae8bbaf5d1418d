import numpy as np
import pytest

from mmcls_kd.datasets import Digits


def test_fixed_disjoint_split():
    train, test = Digits('train'), Digits('test')
    assert (len(train), len(test)) == (1437, 360)
    train_imgs = {train.get_data_info(i)['img'].tobytes()
                  for i in range(len(train))}
    overlap = sum(test.get_data_info(i)['img'].tobytes() in train_imgs
                  for i in range(len(test)))
    # Identical 8x8 images exist in the raw data; the split itself is by index.
    assert overlap < 10
    again = Digits('train')
    assert all(np.array_equal(train.get_data_info(i)['img'],
                              again.get_data_info(i)['img'])
               for i in range(0, 1437, 97))
    labels = [train.get_data_info(i)['gt_label'] for i in range(len(train))]
    assert sorted(set(labels)) == list(range(10))


def test_items_are_packed_images():
    item = Digits('test', pipeline=[dict(type='PackInputs')])[0]
    assert tuple(item['inputs'].shape) == (1, 8, 8)
    assert item['inputs'].dtype.is_floating_point is False
    assert int(item['data_samples'].gt_label) in range(10)


def test_bad_split():
    with pytest.raises(ValueError, match="'val'"):
        Digits('val')


def test_the_data_file_reads_as_scikit_learn_loads_it():
    """Where scikit-learn is installed without SciPy (the device check's
    GPU machine) the data file is read directly: the same arrays."""
    import numpy as np
    from sklearn.datasets import load_digits

    from mmcls_kd.datasets.digits import load_digit_arrays
    images, target = load_digit_arrays(from_file=True)
    digits = load_digits()
    assert images.shape == (1797, 8, 8)
    np.testing.assert_array_equal(images, digits.images)
    np.testing.assert_array_equal(target, digits.target)
