"""What the distillation algorithms share."""
import copy


def student_preprocessor(kwargs: dict) -> dict:
    """Make the student's data preprocessor the algorithm's.

    An algorithm preprocesses the batch once, for student and teacher, with
    the preprocessor it is given; MMRazor falls back to the student's only
    when none is given. MMEngine's runner hands the config's top-level
    ``data_preprocessor`` to the outer model, i.e. the algorithm, so the
    student's own preprocessor - the one that holds the batch augments
    (Mixup/CutMix) of its ``train_cfg`` - would be ignored. The top-level one
    is moved into the student's config instead (unless the student sets its
    own), and the algorithm takes the student's.
    """
    kwargs = dict(kwargs)
    preprocessor = kwargs.pop('data_preprocessor', None)
    architecture = kwargs.get('architecture')
    if preprocessor is not None:
        if not isinstance(architecture, dict):
            raise ValueError(
                'data_preprocessor was given for an already built student; '
                'set it on the student instead')
        architecture = copy.deepcopy(architecture)
        architecture.setdefault('data_preprocessor', preprocessor)
        kwargs['architecture'] = architecture
    return kwargs
