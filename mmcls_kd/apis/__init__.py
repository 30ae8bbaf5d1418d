from .deploy import (RawImageClassifier, export_onnx, export_torchscript,
                     load_student_classifier, run_onnx, student_model_config)
from mmcls_kd.engine.preflight import check_checkpoint_paths, check_data_paths
from .runner_utils import build_runner, load_config

__all__ = [
    'build_runner', 'check_checkpoint_paths', 'check_data_paths',
    'load_config', 'RawImageClassifier', 'export_onnx', 'export_torchscript',
    'load_student_classifier', 'run_onnx', 'student_model_config'
]
