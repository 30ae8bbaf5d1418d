from .kd_distiller import KDDistiller

__all__ = ['KDDistiller']
