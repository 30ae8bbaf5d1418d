"""Warnings the stack prints on every command that say nothing about a
run of this package, silenced one by one (by message, and by module where
the warning names one), so that the warnings left are the ones to read."""
import warnings

# (message regex, module regex) of ``warnings.warn`` calls.
_KNOWN_WARNINGS = (
    # mmcv-lite has no compiled ops; classification never uses this one,
    # and detection needs the full mmcv, which has it.
    (r'Fail to import ``MultiScaleDeformableAttention``',
     r'mmcv\.cnn\.bricks\.transformer'),
    # MMEngine and MMRazor still import pkg_resources (setuptools' notice).
    (r'pkg_resources is deprecated as an API', ''),
)

# Messages MMEngine logs because its own CheckpointHook still builds the
# deprecated FileClient.
_KNOWN_LOGS = ('"FileClient" will be deprecated in future',
               '"HardDiskBackend" is the alias of "LocalBackend"')


def silence_known_warnings() -> None:
    """Filter the warnings; must run before MMEngine and mmcv are imported."""
    for message, module in _KNOWN_WARNINGS:
        warnings.filterwarnings(
            'ignore', message=message, category=UserWarning, module=module)


def silence_known_logs() -> None:
    """Drop MMEngine's FileClient deprecation lines, printed at every
    checkpoint hook's start by MMEngine itself."""
    import mmengine.fileio.file_client as file_client
    logged = file_client.print_log
    if getattr(logged, 'quiet', False):
        return

    def print_log(msg, *args, **kwargs):
        if isinstance(msg, str) and msg.startswith(_KNOWN_LOGS):
            return None
        return logged(msg, *args, **kwargs)

    print_log.quiet = True
    file_client.print_log = print_log
