"""``--cfg-options`` that would do nothing are refused before work starts.

MMEngine's ``Config.merge_from_dict`` creates any key it is given: a
misspelt ``default_hooks.checkpoint.intervall=5`` fails only when the hook
first saves, a top-level ``lr=0.5`` is ignored for the whole run. An override
may set any key the config has; a key it creates must be an argument of the
component it lands in: of the class its ``type`` names in the package's
registries (following the parents an ``__init__`` hands ``**kwargs`` to), or
of MMEngine's own dicts (``env_cfg``, ``randomness``, the loops, the optim
wrapper, ``default_hooks``, the runner's top-level arguments). A ``type``
set by the same overrides counts: ``optim_wrapper.type=DOTOptimWrapper``
lets ``optim_wrapper.delta`` through.
"""
import difflib
import inspect
from typing import Any, Callable, Dict, Iterable, Optional, Set, Tuple

from mmengine.config import Config
from mmengine.registry import Registry

__all__ = ['check_overrides']

# Where a class hands its ``**kwargs`` to something that is not a parent.
_KWARGS_GO_TO = {
    'CheckpointHook': ('mmengine.runner', 'Runner', 'save_checkpoint'),
}

# MMEngine's hooks that ``default_hooks`` may name.
_DEFAULT_HOOKS = ('runtime_info', 'timer', 'sampler_seed', 'logger',
                  'param_scheduler', 'checkpoint', 'visualization')

# Top-level keys read by MMEngine, MMPretrain's tools or this package
# besides the runner's own arguments.
_TOP_LEVEL = ('default_scope', 'custom_imports', 'runner_type', 'dist_params',
              'vis_backends', 'teacher', 'teacher_ckpt', 'load_cfg')


def _parameters(function: Callable) -> Tuple[Set[str], bool]:
    """The named parameters of ``function`` and whether it takes
    ``**kwargs``."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return set(), True
    named = {
        name
        for name, parameter in signature.parameters.items()
        if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD,
                              parameter.KEYWORD_ONLY) and name != 'self'
    }
    open_ended = any(parameter.kind is parameter.VAR_KEYWORD
                     for parameter in signature.parameters.values())
    return named, open_ended


def _method(module: str, owner: str, name: str) -> Callable:
    imported = __import__(module, fromlist=[owner])
    return getattr(getattr(imported, owner), name)


def class_arguments(obj: Any) -> Optional[Set[str]]:
    """The keyword arguments a registered class (or function) takes, its
    parents' included while each ``__init__`` forwards ``**kwargs``; None
    when they cannot be known (a C-level signature, ``**kwargs`` that go
    nowhere known)."""
    if not inspect.isclass(obj):
        named, open_ended = _parameters(obj)
        return None if open_ended else named
    arguments: Set[str] = set()
    for cls in obj.__mro__:
        if '__init__' not in vars(cls) or cls is object:
            continue
        named, open_ended = _parameters(vars(cls)['__init__'])
        arguments |= named
        if not open_ended:
            return arguments
        target = _KWARGS_GO_TO.get(cls.__name__)
        if target is not None:
            named, open_ended = _parameters(_method(*target))
            return None if open_ended else arguments | named
    # ``**kwargs`` reached ``object`` or a C base: nothing more to know.
    return None


def _registries() -> Iterable[Registry]:
    from mmcls_kd import registry
    return [
        value for value in vars(registry).values()
        if isinstance(value, Registry)
    ]


def _registered(type_name: str) -> Optional[Any]:
    """The object ``type_name`` names in the first registry that has it."""
    for found_in in _registries():
        try:
            found = found_in.get(type_name)
        except (KeyError, AttributeError):
            found = None
        if found is not None:
            return found
    return None


def _mmengine_arguments(path: Tuple[str, ...]) -> Optional[Set[str]]:
    """The keys MMEngine reads in its own dicts (those without a type)."""
    from mmengine.optim import AmpOptimWrapper
    from mmengine.runner import (EpochBasedTrainLoop, IterBasedTrainLoop,
                                 LogProcessor, Runner, TestLoop, ValLoop,
                                 set_random_seed)
    from torch.distributed import init_process_group
    from torch.utils.data import DataLoader
    if path == ():
        return class_arguments(Runner) | set(_TOP_LEVEL)
    if path == ('env_cfg', ):
        return {'cudnn_benchmark', 'mp_cfg', 'dist_cfg', 'resource_limit'}
    if path == ('env_cfg', 'mp_cfg'):
        return {'mp_start_method', 'opencv_num_threads'}
    if path == ('env_cfg', 'dist_cfg'):
        return _parameters(init_process_group)[0] - {'rank', 'world_size'}
    if path == ('randomness', ):
        return _parameters(set_random_seed)[0]
    if path == ('train_cfg', ):
        return {'type', 'by_epoch'} | class_arguments(
            EpochBasedTrainLoop) | class_arguments(IterBasedTrainLoop)
    if path in (('val_cfg', ), ('test_cfg', )):
        return {'type'} | class_arguments(ValLoop) | class_arguments(TestLoop)
    if path == ('optim_wrapper', ):
        return {'type', 'constructor', 'paramwise_cfg', 'optimizer'
                } | class_arguments(AmpOptimWrapper)
    if path == ('default_hooks', ):
        return set(_DEFAULT_HOOKS)
    if path in (('train_dataloader', ), ('val_dataloader', ),
                ('test_dataloader', )):
        return _parameters(DataLoader)[0] | {'seeded_augment'}
    if path == ('auto_scale_lr', ):
        return {'enable', 'base_batch_size'}
    if path == ('log_processor', ):
        return {'type'} | class_arguments(LogProcessor)
    return None


def _allowed(node: dict, path: Tuple[str, ...]) -> Optional[Set[str]]:
    """The keys an override may create in ``node`` (at ``path``); None when
    any key may be right."""
    type_name = node.get('type')
    if isinstance(type_name, str):
        found = _registered(type_name)
        return None if found is None else class_arguments(found)
    if type_name is not None:  # a class given as itself
        return class_arguments(type_name)
    return _mmengine_arguments(path)


def _walk(cfg: Any, key: str) -> Optional[str]:
    """Why the override ``key`` would do nothing, or None."""
    node, path = cfg, ()
    parts = key.split('.')
    for depth, part in enumerate(parts):
        if isinstance(node, (list, tuple)):
            if not part.isdigit() or int(part) >= len(node):
                return (f'{".".join(path) or "the config"} is a list of '
                        f'{len(node)} items; {part!r} is no index of it')
            node, path = node[int(part)], path + (part, )
            continue
        if not isinstance(node, dict):
            return None  # MMEngine itself refuses to index a value
        if part in node:
            node, path = node[part], path + (part, )
            continue
        allowed = _allowed(node, path)
        if allowed is None and 'type' not in node and depth < len(parts) - 1:
            # A dict of named entries (losses, recorders): a new name
            # followed by its fields is an entry without a type.
            allowed = set()
        if allowed is None or part in allowed:
            return None
        where = '.'.join(path) or 'the top level'
        nearest = difflib.get_close_matches(part,
                                            sorted(set(node) | allowed),
                                            n=3,
                                            cutoff=0.6)
        hint = f'; nearest: {", ".join(nearest)}' if nearest else ''
        owner = f' (a {node["type"]})' if 'type' in node else ''
        return (f'{where}{owner} has no key {part!r} and takes no argument '
                f'of that name{hint}')
    return None


def _set_type(tree: dict, key: str, value: Any) -> None:
    """Put the overridden ``type`` into ``tree`` where its dict exists."""
    node = tree
    for part in key.split('.')[:-1]:
        if isinstance(node, (list, tuple)) and part.isdigit():
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return
    if isinstance(node, dict):
        node['type'] = value


def check_overrides(cfg: Config, options: Dict[str, Any]) -> None:
    """Refuse ``--cfg-options`` keys that ``cfg`` (before they are merged)
    neither has nor would pass to a component, naming each with the nearest
    existing keys. The ``type`` keys among them are checked and applied
    first, so that the other keys are checked against the types the run
    builds."""
    problems = []
    tree = cfg.to_dict()
    types = [key for key in options if key.split('.')[-1] == 'type']
    for key in types + [key for key in options if key not in types]:
        reason = _walk(tree, key)
        if reason is not None:
            problems.append(f'  {key}: {reason}')
        elif key in types:
            _set_type(tree, key, options[key])
    if problems:
        raise ValueError('--cfg-options set keys that nothing reads, so they '
                         'would change nothing:\n' + '\n'.join(problems))
