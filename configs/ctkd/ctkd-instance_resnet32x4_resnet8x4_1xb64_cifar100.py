# CTKD (arXiv 2211.16231) with the instance-wise temperature: a two-layer
# MLP over each sample's concatenated teacher and student logits predicts
# its temperature. Everything else is ./ctkd_resnet32x4_resnet8x4_1xb64_
# cifar100.py (the official CIFAR-100 script's values).
# The official instance-wise code is not in the repository (only behind a
# download link of its README); the paper gives two layers and no width:
# 256 hidden units is a GUESS (InstanceTemperature's default).
_base_ = ['./ctkd_resnet32x4_resnet8x4_1xb64_cifar100.py']

model = dict(distiller=dict(connectors=dict(ctkd_temperature=dict(
    type='InstanceTemperature', num_classes=100, hidden_channels=256))))
