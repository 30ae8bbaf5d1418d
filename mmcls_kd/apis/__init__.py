from .deploy import (RawImageClassifier, export_onnx, export_torchscript,
                     run_onnx)
from .model import build_model, model_config
from mmcls_kd.engine.preflight import check_checkpoint_paths, check_data_paths
from .runner_utils import build_runner, load_config

__all__ = [
    'build_model', 'build_runner', 'check_checkpoint_paths',
    'check_data_paths', 'load_config', 'model_config', 'RawImageClassifier',
    'export_onnx', 'export_torchscript', 'run_onnx'
]
