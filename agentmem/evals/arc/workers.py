"""Search worker processes for the ARC solver, safe to start from any script.

The workers are plain child processes started as ``python -m agentmem.evals.arc.workers``
and fed length-prefixed pickle frames over their stdin/stdout (parent and child are the same
trusted agentmem code). Unlike a ``multiprocessing`` pool under ``spawn`` or ``forkserver``,
nothing re-imports the caller's ``__main__``, so a driver script without an ``if __name__ ==
"__main__"`` guard works; unlike ``fork``, no thread or lock state of the parent (torch,
loggers) is copied into the child.

:class:`SearchWorkers` hands each call to a free worker (callers may be threads of the eval
framework); a worker that exceeds the call's timeout or dies is killed and replaced, and the
call raises :class:`WorkerError` naming what happened.
"""

from __future__ import annotations

import os
import pickle
import queue
import select
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

_HEADER = struct.Struct("!Q")


class WorkerError(RuntimeError):
    """A search worker timed out, died or returned an error."""


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            raise EOFError
        buf.extend(chunk)
    return bytes(buf)


def _send(stream: Any, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _recv(fd: int, deadline: float | None = None) -> Any:
    (n,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    return pickle.loads(_read_exact(fd, n, deadline))


def _package_root() -> str:
    return str(Path(__file__).resolve().parents[3])


class _Worker:
    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([_package_root()] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        env.setdefault("OMP_NUM_THREADS", "1")
        self.proc = subprocess.Popen([sys.executable, "-m", "agentmem.evals.arc.workers"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=env, close_fds=True)

    def call(self, fn: str, kwargs: dict[str, Any], timeout: float | None) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        _send(self.proc.stdin, (fn, kwargs))
        ok, value = _recv(self.proc.stdout.fileno(), None if timeout is None else time.monotonic() + timeout)
        if not ok:
            raise WorkerError(value)
        return value

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def close(self) -> None:
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()


class SearchWorkers:
    """``n`` worker processes; :meth:`call` runs ``fn(**kwargs)`` (a name from :data:`FUNCTIONS`) in a free one."""

    def __init__(self, n: int) -> None:
        if n < 1:
            raise ValueError(f"SearchWorkers: n must be at least 1, got {n}")
        self._free: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        for _ in range(n):
            w = _Worker()
            self._all.append(w)
            self._free.put(w)

    def call(self, fn: str, timeout: float | None = None, **kwargs: Any) -> Any:
        w = self._free.get()
        try:
            value = w.call(fn, kwargs, timeout)
        except (TimeoutError, EOFError, OSError) as exc:
            w.kill()
            self._all.remove(w)
            w = _Worker()
            self._all.append(w)
            what = "timed out" if isinstance(exc, TimeoutError) else f"died ({type(exc).__name__})"
            raise WorkerError(f"search worker {what} running {fn}") from exc
        finally:
            self._free.put(w)
        return value

    def close(self) -> None:
        for w in self._all:
            w.close()
        self._all.clear()

    def __enter__(self) -> "SearchWorkers":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _functions() -> dict[str, Any]:
    from agentmem.evals.arc.skills_solver import search_in_worker

    return {"search": search_in_worker}


def serve() -> None:
    """Worker loop: read ``(fn, kwargs)`` frames until stdin closes; reply ``(ok, value)``."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a transform prints goes to stderr, never into the frame stream
    fns = _functions()
    fd = sys.stdin.fileno()
    while True:
        try:
            fn, kwargs = _recv(fd)
        except EOFError:
            return
        try:
            reply = (True, fns[fn](**kwargs))
        except Exception as exc:  # reported to the caller, which decides
            reply = (False, f"{type(exc).__name__}: {exc}")
        _send(out, reply)


if __name__ == "__main__":
    serve()
