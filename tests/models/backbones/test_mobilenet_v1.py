from .utils import (assert_published, build_classifier, run_classifier,
                    trainable_params)


def _separable_params(cin: int, cout: int) -> int:
    # depthwise 3x3 + BN, pointwise 1x1 + BN; no conv biases.
    return 9 * cin + 2 * cin + cin * cout + 2 * cout


def test_stages_and_params_with_imagenet_classifier():
    model = build_classifier(
        dict(type='MobileNetV1', out_indices=range(5)), 1024, 1000)
    assert run_classifier(model, size=224) == ([(64, 112, 112),
                                                (128, 56, 56), (256, 28, 28),
                                                (512, 14, 14), (1024, 7, 7)],
                                               (1, 1000))
    widths = [32, 64, 128, 128, 256, 256] + [512] * 6 + [1024, 1024]
    expected = (27 * 32 + 2 * 32) + sum(
        _separable_params(cin, cout)
        for cin, cout in zip(widths[:-1], widths[1:])) + 1024 * 1000 + 1000
    count = trainable_params(model)
    assert count == expected == 4_231_976
    # 4.2M in the MobileNets paper (Table 8), 4.23M in the KD tables.
    assert_published(count, 4.23)
