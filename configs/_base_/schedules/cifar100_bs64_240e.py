# The CIFAR-100 distillation recipe of CRD and DKD (Table 1's CIFAR
# columns): 240 epochs, SGD momentum 0.9, lr 0.05, weight decay 5e-4, lr x0.1
# at epochs 150, 180 and 210. MobileNet/ShuffleNet students override lr to
# 0.01, as DKD's configs do.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[150, 180, 210], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=240, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# One GPU with 64 images, as the DKD code runs.
auto_scale_lr = dict(base_batch_size=64)
