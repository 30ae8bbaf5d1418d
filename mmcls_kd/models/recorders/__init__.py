from .recorders import GroupRecorder, ModuleInputsCopyRecorder

__all__ = ['GroupRecorder', 'ModuleInputsCopyRecorder']
