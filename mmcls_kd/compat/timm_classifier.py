"""MMPretrain's ``TimmClassifier`` inside a distillation algorithm.

Two fixes, both for ``TimmClassifier`` of MMPretrain 1.2.

Weights timm loaded are kept. ``TimmClassifier`` creates its network with
``timm.create_model``, which loads the pretrained weights itself
(``pretrained=True``, ``checkpoint_path=...``). MMEngine's runner then calls
``model.init_weights()``, and ``BaseModule.init_weights`` calls the
``init_weights`` of every child that has one and is not marked initialised;
timm networks have one (ResNet, ViT, ...), which draws new weights: the
pretrained network is silently reset to random before training starts.
Marking the network initialised when timm loaded weights into it keeps them;
a network built without weights is initialised as before.

Its state dict round-trips when it is nested (the teacher or student of an
algorithm). It saves its network's keys without the ``model.`` prefix (so
timm reads them) through a state-dict hook that returns a new dict; torch
uses a hook's returned dict only at the top-level module, so nested the keys
keep ``model.``, and its load hook then adds a second one: the algorithm
cannot load its own state dict (a resume loses the teacher). That load hook
also deletes every key outside its own prefix from the dict MMEngine's
``load_state_dict`` hands each module, so the modules after a timm student
(the distiller's connectors, the teacher) lose their weights. The hooks below
rename in place, and only the keys of the classifier itself.
"""


def _loaded_weights(args: tuple, kwargs: dict) -> bool:
    """Whether ``timm.create_model(*args, **kwargs)`` loads weights."""
    pretrained = kwargs.get('pretrained', args[1] if len(args) > 1 else False)
    return bool(pretrained) or bool(kwargs.get('checkpoint_path'))


def _drop_network_prefix(module, state_dict, prefix: str,
                         local_metadata) -> None:
    """``<prefix>model.<key>`` -> ``<prefix><key>``, in place."""
    network = prefix + 'model.'
    for key in [k for k in state_dict if k.startswith(network)]:
        state_dict[prefix + key[len(network):]] = state_dict.pop(key)


def _add_network_prefix(state_dict, prefix: str, *args) -> None:
    """``<prefix><key>`` -> ``<prefix>model.<key>`` for the classifier's own
    keys (all of them its network's), in place; a key that has the prefix
    already (a state dict saved nested before this fix) stays."""
    network = prefix + 'model.'
    for key in [
            k for k in state_dict
            if k.startswith(prefix) and not k.startswith(network)
    ]:
        state_dict[network + key[len(prefix):]] = state_dict.pop(key)


def patch_timm_classifier() -> None:
    """Mark the network of a ``TimmClassifier`` built with weights as
    initialised (MMEngine reads ``is_init``), and register state-dict hooks
    that work nested (both registered by its ``__init__``)."""
    from mmpretrain.models import TimmClassifier
    if getattr(TimmClassifier.__init__, '_keeps_timm_weights', False):
        return
    TimmClassifier._remove_state_dict_prefix = staticmethod(
        _drop_network_prefix)
    TimmClassifier._add_state_dict_prefix = staticmethod(_add_network_prefix)
    original = TimmClassifier.__init__

    def __init__(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        if _loaded_weights(args, kwargs):
            self.model.is_init = True

    __init__._keeps_timm_weights = True
    __init__.__doc__ = original.__doc__
    TimmClassifier.__init__ = __init__
