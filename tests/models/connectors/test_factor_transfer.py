"""FT's paraphraser and translator: MMRazor's layers, the paraphraser
giving its factor and its reconstruction at once, inputs checked."""
import pytest
import torch
from torch import nn

from mmcls_kd.models.connectors import FTParaphraser, FTTranslator


def test_paraphraser_gives_the_encoder_and_decoder_outputs():
    torch.manual_seed(0)
    paraphraser = FTParaphraser(8, 4)
    convs = [m for m in paraphraser.modules()
             if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    # Three convs down to the factor's channels, three transposed convs
    # back; no BatchNorm (the reference code's paraphraser).
    assert [(c.in_channels, c.out_channels) for c in convs] == [
        (8, 8), (8, 4), (4, 4), (4, 4), (4, 8), (8, 8)]
    assert not any(isinstance(m, nn.BatchNorm2d)
                   for m in paraphraser.modules())
    x = torch.randn(2, 8, 3, 3)
    factor, reconstruction = paraphraser(x)
    assert torch.equal(factor, paraphraser.encoder(x))
    assert torch.equal(reconstruction, paraphraser.decoder(factor))
    assert factor.shape == (2, 4, 3, 3) and reconstruction.shape == x.shape


def test_translator_and_paraphraser_name_a_wrong_feature():
    translator = FTTranslator(6, 4)
    assert translator(torch.randn(2, 6, 3, 3)).shape == (2, 4, 3, 3)
    assert sum(isinstance(m, nn.BatchNorm2d)
               for m in translator.modules()) == 3
    with pytest.raises(ValueError, match=r'FTTranslator expects an '
                       r'\(N, 6, H, W\) feature, got \(2, 5, 3, 3\)'):
        translator(torch.randn(2, 5, 3, 3))
    with pytest.raises(ValueError, match=r'FTParaphraser expects an '
                       r'\(N, 8, H, W\) feature, got \(2, 4, 3, 3\)'):
        FTParaphraser(8, 4)(torch.randn(2, 4, 3, 3))
