from .self_distill import SelfDistillation
from .teacher_distill import TeacherDistill, load_teacher_weights

__all__ = ['SelfDistillation', 'TeacherDistill', 'load_teacher_weights']
