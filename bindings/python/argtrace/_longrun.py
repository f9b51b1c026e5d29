"""Options for long-running processes, shared by argtrace.start() and `argtrace run`:
rotation (max_size, keep), sampling (sample, sample_mode, sample_seed) and the signal that
toggles recording (toggle_signal). Each check raises ValueError with one line."""

import signal

from ._sizes import parse_size

MIN_FILE_SIZE = 4096  # the writer's smallest max_file_bytes


def max_size_bytes(value):
    """max_size (bytes, or "100M", "1G") -> bytes, at least MIN_FILE_SIZE."""
    try:
        n = parse_size(value)
    except (ValueError, TypeError):
        raise ValueError("argtrace: bad max_size %r (bytes, or e.g. \"100M\", \"1G\")"
                         % (value,)) from None
    if n < MIN_FILE_SIZE:
        raise ValueError("argtrace: max_size must be at least %d bytes (4K), got %r"
                         % (MIN_FILE_SIZE, value))
    return n


def keep_files(value):
    """keep (the newest N files of a rotated log) -> N >= 1."""
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value), 10)
        except ValueError:
            raise ValueError("argtrace: keep must be a whole number of files, got %r"
                             % (value,)) from None
    if value < 1 or value > 0xFFFFFFFF:
        raise ValueError("argtrace: keep must be at least 1 (the newest files kept), got %r"
                         % (value,))
    return value


def sample_rate(value):
    """sample: a fraction in (0, 1] ("0.1", 0.1, "10%") -> float."""
    text = str(value).strip()
    try:
        rate = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
    except ValueError:
        raise ValueError("argtrace: sample must be a fraction in (0, 1] such as 0.1 or 10%%, "
                         "got %r" % (value,)) from None
    if isinstance(value, bool) or not (0.0 < rate <= 1.0):
        raise ValueError("argtrace: sample must be a fraction in (0, 1] such as 0.1 or 10%%, "
                         "got %r" % (value,))
    return rate


def sample_mode(value):
    if value not in ("count", "random"):
        raise ValueError("argtrace: sample_mode must be \"count\" or \"random\", got %r"
                         % (value,))
    return value


def sample_seed(value):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2 ** 64:
        raise ValueError("argtrace: sample_seed must be an int in [0, 2**64), got %r"
                         % (value,))
    return value


_UNCATCHABLE = {signal.SIGKILL, signal.SIGSTOP}


def signal_number(value):
    """toggle_signal: "SIGUSR2", "USR2", "12" or a signal number -> the number."""
    if isinstance(value, int) and not isinstance(value, bool):
        num = int(value)
    else:
        text = str(value).strip().upper()
        if text.isdigit():
            num = int(text)
        else:
            name = text if text.startswith("SIG") else "SIG" + text
            num = getattr(signal.Signals, name, None) if name.isidentifier() else None
            if num is None:
                raise ValueError("argtrace: unknown signal %r (e.g. SIGUSR2)" % (value,))
            num = int(num)
    if num in _UNCATCHABLE or not 0 < num < signal.NSIG:
        raise ValueError("argtrace: signal %r cannot toggle recording (it cannot be caught)"
                         % (value,))
    return num


def core_options(max_size=None, keep=None, sample=None, mode=None, seed=None):
    """The _core.start keywords for these options (None: not given)."""
    out = {}
    if max_size is not None:
        out["max_file_bytes"] = max_size_bytes(max_size)
    if keep is not None:
        if max_size is None:
            raise ValueError("argtrace: keep needs max_size (the files rotate at that size)")
        out["keep_files"] = keep_files(keep)
    if sample is not None:
        out["sample_rate"] = sample_rate(sample)
    if mode is not None:
        out["sample_random"] = sample_mode(mode) == "random"
    if seed is not None:
        out["sample_seed"] = sample_seed(seed)
    return out
