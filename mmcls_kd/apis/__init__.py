from .runner_utils import build_runner, check_data_paths, load_config

__all__ = ['build_runner', 'check_data_paths', 'load_config']
