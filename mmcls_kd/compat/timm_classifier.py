"""MMPretrain's ``TimmClassifier`` keeps the weights timm loaded.

``TimmClassifier`` (MMPretrain 1.2) creates its network with
``timm.create_model``, which loads the pretrained weights itself
(``pretrained=True``, ``checkpoint_path=...``). MMEngine's runner then calls
``model.init_weights()``, and ``BaseModule.init_weights`` calls the
``init_weights`` of every child that has one and is not marked initialised;
timm networks have one (ResNet, ViT, ...), which draws new weights: the
pretrained network is silently reset to random before training starts.
Marking the network initialised when timm loaded weights into it keeps them;
a network built without weights is initialised as before.
"""


def _loaded_weights(args: tuple, kwargs: dict) -> bool:
    """Whether ``timm.create_model(*args, **kwargs)`` loads weights."""
    pretrained = kwargs.get('pretrained', args[1] if len(args) > 1 else False)
    return bool(pretrained) or bool(kwargs.get('checkpoint_path'))


def patch_timm_classifier_init() -> None:
    """Mark the network of a ``TimmClassifier`` built with weights as
    initialised (MMEngine reads ``is_init``)."""
    from mmpretrain.models import TimmClassifier
    if getattr(TimmClassifier.__init__, '_keeps_timm_weights', False):
        return
    original = TimmClassifier.__init__

    def __init__(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        if _loaded_weights(args, kwargs):
            self.model.is_init = True

    __init__._keeps_timm_weights = True
    __init__.__doc__ = original.__doc__
    TimmClassifier.__init__ = __init__
