"""Run a parsing function in a child process under memory, CPU and wall-clock limits.

A hostile upload (a zip bomb, a 50 MB line, a corrupt Parquet footer) can then only exhaust or
crash the child: the caller gets the function's value, or an InputError saying the file could not
be read within the limits. The child is a fresh interpreter started with subprocess (fork + exec,
safe from a threaded web worker). multiprocessing's spawn and forkserver contexts are not used
because their children re-run the parent's main script (`python server.py` would build a second
app in every child). Arguments go to the child as a pickle on stdin; the value comes back as a
pickle of plain data only (no classes), so a subverted child cannot run code in the parent.
"""
from __future__ import annotations

import io
import math
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import traceback

from segmentation.errors import InputError

RESULT_MAX_BYTES = 64 * 1024 * 1024  # also the most the child may write to any file
JOB_NICENESS = 10   # a run yields the cores to the web workers whenever they need them
_BOOT = ("import pickle, sys; boot = pickle.load(sys.stdin.buffer); sys.path[:] = boot['path']; "
         f"from {__name__} import _child_main; _child_main(boot)")
_PR_SET_DUMPABLE = 4
_OUTCOME_FIELDS = {"ok": 2, "input": 2, "memory": 1, "unreturnable": 2, "error": 4}
_NO_MEMORY_SIGNS = ("failed to map segment", "Cannot allocate memory", "cannot allocate memory")
# Allocators that reserve address space up front would make RLIMIT_AS measure reservations, not
# use: one malloc arena per thread (64 MB each), mimalloc/jemalloc in Arrow, OpenBLAS thread buffers.
_CHILD_ENV = {"MALLOC_ARENA_MAX": "2", "ARROW_DEFAULT_MEMORY_POOL": "system",
              "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
# Of this process's environment a parser child gets only locale, search path and temporary folder:
# never a setting (CLEARSEG_SECRET_KEY, the database URL) a subverted parser could read.
_PASSED_ENV = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")


class LimitError(InputError):
    """The child ran out of memory or time, crashed or was killed; `reason` says which."""

    def __init__(self, *, reason: str, memory_bytes: int, seconds: float):
        self.reason, self.memory_bytes, self.seconds = reason, memory_bytes, seconds
        super().__init__(limit_message("the file", memory_bytes=memory_bytes, seconds=seconds))


class ChildError(RuntimeError):
    """The function raised an unexpected exception in the child (a fault of ours, not the file's)."""

    def __init__(self, type_name: str, *, detail: str, child_traceback: str):
        self.type_name, self.detail, self.child_traceback = type_name, detail, child_traceback
        super().__init__(f"{type_name}: {detail}")


def limit_message(subject: str, *, memory_bytes: int, seconds: float) -> str:
    """The user-facing sentence for a parse stopped by the limits, e.g. subject = "'data.xlsx'"."""
    megabytes = memory_bytes / 2**20
    return (f"{subject} could not be read within the limits ({megabytes:,.0f} MB, {seconds:g} s): "
            "it may be corrupt or far too large")


def run_limited(func, *args, memory_bytes: int, seconds: float, **kwargs):
    """Return `func(*args, **kwargs)` computed in a child process limited to `memory_bytes` of
    address space and `seconds` of CPU and wall-clock time.

    `func` is a picklable top-level function returning plain data (dict, list, tuple, str, numbers,
    None). An InputError raised in the child is re-raised with its message; running out of memory
    or time, a crash or a signal raise LimitError (an InputError); other exceptions raise ChildError.
    """
    _check_limits(memory_bytes, seconds=seconds)
    payload = _pickle_call(func, args=args, kwargs=kwargs)
    boot = {"path": list(sys.path), "memory_bytes": int(memory_bytes), "seconds": float(seconds)}
    with tempfile.TemporaryFile() as result:
        boot["result_fd"] = result.fileno()
        status = _run_child(boot, payload=payload, result_fd=result.fileno(), seconds=seconds)
        outcome = _read_result(result) if status == 0 else None
    return _interpret(outcome, status=status, memory_bytes=memory_bytes, seconds=seconds)


def _check_limits(memory_bytes, *, seconds) -> None:
    """Programming errors in the limits themselves are ValueErrors, not user errors."""
    if not isinstance(memory_bytes, int) or memory_bytes < 16 * 2**20:
        raise ValueError(f"memory_bytes must be an integer of at least 16 MiB, got {memory_bytes!r}")
    if not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"seconds must be a positive number, got {seconds!r}")


def _pickle_call(func, *, args: tuple, kwargs: dict) -> bytes:
    """The call as a pickle; a lambda or nested function cannot cross into the child."""
    try:
        return pickle.dumps((func, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise TypeError(
            f"run_limited needs a picklable top-level function and arguments: {exc}") from None


# --- parent side ------------------------------------------------------------------------------

def _run_child(boot: dict, *, payload: bytes, result_fd: int, seconds: float) -> int | str:
    """Start the child, feed it the call and wait; its exit status, or "timeout" when killed."""
    if not sys.executable:
        raise RuntimeError("run_limited needs sys.executable to start a child interpreter")
    stdin = pickle.dumps(boot, protocol=pickle.HIGHEST_PROTOCOL) + payload
    child = subprocess.Popen([sys.executable, "-I", "-c", _BOOT], stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             pass_fds=(result_fd,), start_new_session=True,
                             env=child_environment())
    try:
        child.communicate(input=stdin, timeout=seconds)
    except subprocess.TimeoutExpired:
        _kill(child)
        return "timeout"
    finally:
        if child.poll() is None:  # an exception while waiting: never leave the child running
            _kill(child)
    return child.returncode


def child_environment() -> dict[str, str]:
    """The environment of a parser child: what reading a file needs, no secret."""
    passed = {name: os.environ[name] for name in _PASSED_ENV if name in os.environ}
    return {**passed, **_CHILD_ENV}


def _kill(child: subprocess.Popen) -> None:
    """SIGKILL the child's process group (its own session), then reap it."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    child.wait()


def _read_result(result) -> tuple | None:
    """The child's (tag, ...) tuple, or None when it is missing, too large or not plain data."""
    size = os.fstat(result.fileno()).st_size
    if size == 0 or size > RESULT_MAX_BYTES:
        return None
    result.seek(0)
    try:
        outcome = _PlainUnpickler(io.BytesIO(result.read(size))).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError):
        return None
    return outcome if _well_formed(outcome) else None


def _well_formed(outcome) -> bool:
    """A tuple as _child_main writes it: a known tag, its number of fields, text where text goes."""
    if not isinstance(outcome, tuple) or not outcome or outcome[0] not in _OUTCOME_FIELDS:
        return False
    texts = outcome[1:] if outcome[0] != "ok" else ()
    return len(outcome) == _OUTCOME_FIELDS[outcome[0]] and all(isinstance(t, str) for t in texts)


class _PlainUnpickler(pickle.Unpickler):
    """Unpickles containers, strings and numbers only: any class or function is refused."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"run_limited returns plain data only, not {module}.{name}")


def _interpret(outcome: tuple | None, *, status, memory_bytes: int, seconds: float):
    """The function's value, or the exception that stands for how the child ended."""
    limits = {"memory_bytes": memory_bytes, "seconds": seconds}
    if status == "timeout":
        raise LimitError(reason="timeout", **limits)
    if outcome is None:
        reason = f"signal {-status}" if isinstance(status, int) and status < 0 else f"exit {status}"
        raise LimitError(reason=reason, **limits)
    tag, *rest = outcome
    if tag == "ok":
        return rest[0]
    if tag == "input":
        raise InputError(rest[0])
    if tag == "memory":
        raise LimitError(reason="memory", **limits)
    if tag == "unreturnable":
        raise TypeError(f"run_limited: the function's value is not plain data ({rest[0]})")
    type_name, detail, child_traceback = rest
    raise ChildError(type_name, detail=detail, child_traceback=child_traceback)


# --- child side -------------------------------------------------------------------------------

def _child_main(boot: dict) -> None:
    """Entry point of the child: limit itself, run the call, write the outcome, exit at once."""
    _limit_self(memory_bytes=boot["memory_bytes"], seconds=boot["seconds"])
    try:
        func, args, kwargs = pickle.load(sys.stdin.buffer)
        outcome = ("ok", func(*args, **kwargs))
    except InputError as exc:
        outcome = ("input", str(exc))
    except MemoryError:
        outcome = ("memory",)
    except BaseException as exc:  # reported to the parent, which raises ChildError
        outcome = (("memory",) if _out_of_memory(exc) else
                   ("error", type(exc).__name__, str(exc)[:2000], traceback.format_exc()[-8000:]))
    _write_outcome(outcome, fd=boot["result_fd"])
    os._exit(0)


def _out_of_memory(exc: BaseException) -> bool:
    """An OSError or ImportError caused by the address-space limit (ENOMEM, an unmappable library)."""
    import errno

    if isinstance(exc, OSError) and exc.errno == errno.ENOMEM:
        return True
    return isinstance(exc, ImportError) and any(sign in str(exc) for sign in _NO_MEMORY_SIGNS)


def _write_outcome(outcome: tuple, *, fd: int) -> None:
    """Pickle the outcome to the result file; a value that is not plain data is reported instead."""
    try:
        data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        _PlainUnpickler(io.BytesIO(data)).load()
    except MemoryError:
        data = pickle.dumps(("memory",))
    except Exception as exc:
        data = pickle.dumps(("unreturnable", f"{type(exc).__name__}: {exc}"[:500]))
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _limit_self(*, memory_bytes: int, seconds: float) -> None:
    """Address space, CPU time, file size and no core dumps; SIGALRM ends a child left waiting."""
    import resource

    cpu = max(1, math.ceil(seconds))
    _set_limit(resource.RLIMIT_AS, soft=memory_bytes)
    _set_limit(resource.RLIMIT_CPU, soft=cpu, hard=cpu + 2)  # SIGXCPU, then SIGKILL
    _set_limit(resource.RLIMIT_FSIZE, soft=RESULT_MAX_BYTES)
    _set_limit(resource.RLIMIT_CORE, soft=0)
    _not_dumpable()
    signal.alarm(cpu + 2)  # the default action of SIGALRM ends the process, parent or not


def limit_job(*, memory_bytes: int, cpu_seconds: float) -> None:
    """Limit this process (one run's job) to `memory_bytes` of address space and `cpu_seconds` of
    CPU time (SIGXCPU ends it; SIGKILL a few seconds later); no core dumps; and a lower CPU
    priority than the web tier's, so pages and /healthz stay quick while runs use every core."""
    import resource

    os.nice(JOB_NICENESS)
    cpu = max(1, math.ceil(cpu_seconds))
    _set_limit(resource.RLIMIT_AS, soft=int(memory_bytes))
    _set_limit(resource.RLIMIT_CPU, soft=cpu, hard=cpu + 5)
    _set_limit(resource.RLIMIT_CORE, soft=0)
    _not_dumpable()


def _set_limit(which: int, *, soft: int, hard: int | None = None) -> None:
    """Lower a limit (soft and hard) without ever asking for more than the current hard limit."""
    import resource

    _, current_hard = resource.getrlimit(which)
    hard = soft if hard is None else hard
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    resource.setrlimit(which, (soft, hard))


def _not_dumpable() -> None:
    """Linux: no core dump (not even through a core_pattern pipe) and no ptrace by the same user."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass
