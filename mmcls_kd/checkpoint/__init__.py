"""Checkpoints: which files are trusted and how the others are read
(``trust``), finding the state dict in a checkpoint and writing checkpoints
that load weights-only (``io``), fitting a state dict to a model with one
report of what does not fit (``fit``), the student of a distillation
checkpoint (``student``) and the converters of other model zoos' checkpoints
(``convert``, imported on use)."""
from .fit import (FitReport, StateDictMismatchError, fit_report,
                  fit_state_dict, load_checkpoint, load_state_dict_strict)
from .io import (download_checkpoint, file_sha256, is_plain, read_checkpoint,
                 read_state_dict, save_checkpoint, state_dict_of)
from .student import (MODES, extract_student, extraction_command,
                      is_distillation_state, save_student, split_student)
from .trust import (TRUST_ENV, UnsafeCheckpointError, is_trusted,
                    load_checkpoint_file, trusted_checkpoint,
                    trusted_directory)

__all__ = [
    'FitReport', 'MODES', 'StateDictMismatchError', 'TRUST_ENV',
    'UnsafeCheckpointError', 'download_checkpoint', 'extract_student',
    'extraction_command', 'file_sha256', 'fit_report', 'fit_state_dict',
    'is_distillation_state', 'is_plain', 'is_trusted', 'load_checkpoint',
    'load_checkpoint_file', 'load_state_dict_strict', 'read_checkpoint',
    'read_state_dict', 'save_checkpoint', 'save_student', 'split_student',
    'state_dict_of', 'trusted_checkpoint', 'trusted_directory'
]
