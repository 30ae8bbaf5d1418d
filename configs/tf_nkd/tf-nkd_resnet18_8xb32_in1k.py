# tf-NKD (arXiv 2208.10139, the teacher-free NKD that preceded USKD) on
# ResNet-18: the same experiment as Table 8's first row of the NKD/USKD paper
# (configs/uskd/uskd-target-linear_resnet18_8xb32_in1k.py, 70.76), which
# serves that cell.
_base_ = ['../uskd/uskd-target-linear_resnet18_8xb32_in1k.py']
