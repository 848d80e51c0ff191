"""Worker-process pools that work from a plain script (no ``if __name__ == "__main__":`` needed).

Why: with the ``spawn`` (and ``forkserver``) start methods every worker process first re-runs
the parent's main script (as ``__mp_main__``) so that functions defined there can be
unpickled. A driver script without the ``__main__`` guard then starts the whole run again in
each worker, whose attempt to start processes of its own fails, and the parent sees
``BrokenProcessPool`` with no hint why. ``fork`` avoids the re-import but is unsafe in a
process that already runs threads (the eval harness's workers, a progress bar, an HTTP
client), which is why the harness never used it.

:func:`process_pool` keeps ``spawn``'s clean workers and drops the re-import: its workers
are started without the parent's ``__main__`` (only ``sys.path``, the working folder and the
usual settings travel), so the function a worker runs must live in an importable module
(all of agentmem's workers do; a function defined in the driver script itself cannot be
sent to such a worker, and the pool says so). The startup cost is spawn's: a fresh
interpreter that imports what the task needs, once per worker.

A worker that dies anyway (killed for memory, a crash in native code) makes the pool
broken; :func:`result` turns that into a :class:`~agentmem.errors.ConfigError` that says
what happened and what to try.

Example (the ARC skills solver)::

    with process_pool(workers) as pool:
        found = result(pool.submit(search_in_worker, *args), timeout=150)
"""

from __future__ import annotations

import multiprocessing
import pickle
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
import multiprocessing.context as mp_context
from multiprocessing import spawn
from typing import Any, TypeVar

from agentmem.errors import ConfigError

T = TypeVar("T")

_local = threading.local()
_install_lock = threading.Lock()
_MAIN_KEYS = ("init_main_from_path", "init_main_from_name")

GUARD_HINT = (
    "A worker started with the plain spawn or forkserver start method re-runs the driver script: "
    "put the script's top-level code under `if __name__ == \"__main__\":` (agentmem's default "
    "start method, spawn-no-main, does not need it)."
)


def _install() -> None:
    """Wrap multiprocessing's preparation data once: without ``__main__`` for our workers only.

    The wrapper consults a thread-local flag that :class:`_NoMainSpawnProcess` sets while it
    starts a worker (``Popen`` builds the preparation data synchronously in that thread), so
    every other process start in the program is untouched.
    """
    with _install_lock:
        if getattr(spawn.get_preparation_data, "_agentmem_no_main", False):
            return
        original = spawn.get_preparation_data

        def get_preparation_data(name: str) -> dict[str, Any]:
            data = original(name)
            if getattr(_local, "no_main", False):
                for key in _MAIN_KEYS:
                    data.pop(key, None)
            return data

        get_preparation_data._agentmem_no_main = True  # type: ignore[attr-defined]
        spawn.get_preparation_data = get_preparation_data


class _NoMainSpawnProcess(mp_context.SpawnProcess):
    """A spawned process whose child does not re-run the parent's ``__main__``."""

    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        _local.no_main = True
        try:
            return mp_context.SpawnProcess._Popen(process_obj)
        finally:
            _local.no_main = False


class NoMainSpawnContext(mp_context.SpawnContext):
    """``multiprocessing.get_context("spawn")`` whose workers skip re-importing ``__main__``."""

    Process = _NoMainSpawnProcess


def no_main_context() -> NoMainSpawnContext:
    """The start context for worker pools that must work from unguarded scripts."""
    _install()
    return NoMainSpawnContext()


def process_pool(max_workers: int, *, start_method: str = "spawn-no-main") -> ProcessPoolExecutor:
    """A :class:`ProcessPoolExecutor` of ``max_workers`` processes.

    ``start_method``: ``spawn-no-main`` (default; safe from a plain script and in a threaded
    parent), or any name :func:`multiprocessing.get_context` knows (``spawn`` needs the
    ``__main__`` guard in the driver script; ``fork`` is only safe before any thread starts).
    """
    if max_workers < 1:
        raise ConfigError(f"process_pool: max_workers must be at least 1 (got {max_workers})")
    if start_method == "spawn-no-main":
        ctx: Any = no_main_context()
    else:
        try:
            ctx = multiprocessing.get_context(start_method)
        except ValueError as exc:
            raise ConfigError(f"process_pool: unknown start method {start_method!r} ({exc})") from exc
    return ProcessPoolExecutor(max_workers=max_workers, mp_context=ctx)


def check_picklable(fn: Callable[..., Any]) -> None:
    """Refuse a worker function defined in ``__main__`` (a no-main worker cannot import it)."""
    if getattr(fn, "__module__", None) in ("__main__", "__mp_main__"):
        raise ConfigError(f"{getattr(fn, '__qualname__', fn)!r} is defined in the main script; a worker of agentmem's process pool "
                          "runs functions from importable modules only: move it into a module")
    try:
        pickle.dumps(fn)
    except Exception as exc:  # pickle raises several types; all mean the same here
        raise ConfigError(f"{getattr(fn, '__qualname__', fn)!r} cannot be sent to a worker process ({exc})") from exc


def submit(pool: ProcessPoolExecutor, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
    """``pool.submit`` after :func:`check_picklable` (a clear error instead of a dead worker)."""
    check_picklable(fn)
    return pool.submit(fn, *args, **kwargs)


def result(future: Future[T], timeout: float | None = None) -> T:
    """``future.result(timeout)``, with a broken pool turned into a :class:`ConfigError` that explains it."""
    try:
        return future.result(timeout=timeout)
    except BrokenProcessPool as exc:
        raise ConfigError(
            "a worker process died before returning its result (killed for memory, a native crash, or the worker could not start: "
            f"{exc}). Try --workers 1 or a smaller budget. {GUARD_HINT}"
        ) from exc
