from .recorders import GroupRecorder

__all__ = ['GroupRecorder']
