"""The seam through which ARC programs run: ``transform(grid)`` per grid, 2 s timeout each.

:class:`GridRunner` is the protocol. :class:`SubprocessGridRunner` runs the program in a fresh
``python -I`` subprocess (address-space limit, no inherited environment secrets, per-grid
``setitimer`` timeout, an overall wall-clock kill); :class:`SandboxGridRunner` runs the same
driver through any :class:`agentmem.sandbox.Sandbox` (the skills store's hardened sandbox:
network namespace, audit hook, pids cgroup) and is used when that module is importable;
:class:`InProcessGridRunner` is the fake for tests (no isolation, no timeout).

A program that fails to compile, raises, returns something that is not a grid, or runs past
its time is *reported* in its :class:`GridRun`, never raised.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel

from agentmem.evals.arc.grids import Grid, as_grid

DEFAULT_TIMEOUT_S = 2.0

DRIVER = r'''
import json, signal, sys, traceback
payload = json.loads(sys.stdin.read())
real_stdout = sys.stdout
sys.stdout = sys.stderr
results = []
ns = {"__name__": "arc_program"}

class _Timeout(Exception):
    pass

def _alarm(signum, frame):
    raise _Timeout()

signal.signal(signal.SIGALRM, _alarm)
try:
    exec(compile(payload["code"], "<program>", "exec"), ns)
    fn = ns.get("transform")
    compile_error = None if callable(fn) else "the program defines no transform(grid) function"
except BaseException as exc:
    fn, compile_error = None, "%s: %s" % (type(exc).__name__, exc)
for grid in payload["grids"]:
    if compile_error:
        results.append({"output": None, "error": compile_error, "timed_out": False})
        continue
    try:
        signal.setitimer(signal.ITIMER_REAL, payload["timeout"])
        out = fn([list(r) for r in grid])
        signal.setitimer(signal.ITIMER_REAL, 0)
        if hasattr(out, "tolist"):
            out = out.tolist()
        json.dumps(out)
        results.append({"output": out, "error": None, "timed_out": False})
    except _Timeout:
        results.append({"output": None, "error": "timed out after %.1fs" % payload["timeout"], "timed_out": True})
    except BaseException as exc:
        signal.setitimer(signal.ITIMER_REAL, 0)
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        results.append({"output": None, "error": tb[:300], "timed_out": False})
real_stdout.write("\n@@ARC_RESULTS@@" + json.dumps(results))
real_stdout.flush()
'''


class GridRun(BaseModel):
    """What one program did on one grid."""

    output: Grid | None = None
    error: str | None = None
    timed_out: bool = False


@runtime_checkable
class GridRunner(Protocol):
    def run(self, code: str, grids: list[Grid], timeout_s: float = DEFAULT_TIMEOUT_S) -> list[GridRun]:
        """Run ``transform`` of ``code`` on each grid; one :class:`GridRun` per grid, in order."""
        ...


def _parse(stdout: str, n: int, why: str) -> list[GridRun]:
    marker = stdout.rfind("@@ARC_RESULTS@@")
    if marker < 0:
        return [GridRun(error=why) for _ in range(n)]
    raw = json.loads(stdout[marker + len("@@ARC_RESULTS@@"):])
    out = []
    for item in raw:
        grid = as_grid(item.get("output")) if item.get("output") is not None else None
        err = item.get("error")
        if grid is None and err is None:
            err = "transform returned something that is not a rectangular grid of ints 0-9"
        out.append(GridRun(output=grid, error=err, timed_out=bool(item.get("timed_out"))))
    return out


def _payload(code: str, grids: list[Grid], timeout_s: float) -> str:
    return json.dumps({"code": code, "grids": grids, "timeout": timeout_s})


class SubprocessGridRunner:
    """Runs programs in a fresh isolated-mode Python subprocess (agentmem's own small runner)."""

    def __init__(self, memory_mb: int = 2048, startup_s: float = 20.0) -> None:
        self.memory_mb = memory_mb
        self.startup_s = startup_s

    def _limits(self) -> None:  # pragma: no cover - runs in the child
        import resource

        limit = self.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        os.setsid()

    def run(self, code: str, grids: list[Grid], timeout_s: float = DEFAULT_TIMEOUT_S) -> list[GridRun]:
        if not grids:
            return []
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        with tempfile.TemporaryDirectory(prefix="agentmem-arc-") as tmp:
            try:
                proc = subprocess.run([sys.executable, "-I", "-c", DRIVER], input=_payload(code, grids, timeout_s), capture_output=True,
                                      text=True, cwd=tmp, env=env, timeout=self.startup_s + timeout_s * len(grids) + 1.0, preexec_fn=self._limits)
            except subprocess.TimeoutExpired:
                return [GridRun(error=f"timed out after {timeout_s:.1f}s", timed_out=True) for _ in grids]
        why = f"the program crashed the runner (exit {proc.returncode}): {proc.stderr.strip()[-300:]}"
        return _parse(proc.stdout, len(grids), why)


class SandboxGridRunner:
    """Runs the same driver through an :class:`agentmem.sandbox.Sandbox` (duck-typed: any object
    with ``run(script, stdin=..., limits=...)`` returning a result with ``stdout``)."""

    def __init__(self, sandbox: Any, limits: Any = None) -> None:
        self.sandbox = sandbox
        self.limits = limits

    def run(self, code: str, grids: list[Grid], timeout_s: float = DEFAULT_TIMEOUT_S) -> list[GridRun]:
        if not grids:
            return []
        limits = self.limits
        if limits is None:
            from agentmem.sandbox import SandboxLimits  # type: ignore[import-not-found]

            limits = SandboxLimits(timeout_s=20.0 + timeout_s * len(grids), memory_mb=2048)
        with tempfile.TemporaryDirectory(prefix="agentmem-arc-") as tmp:
            driver = os.path.join(tmp, "arc_driver.py")
            with open(driver, "w", encoding="utf-8") as fh:
                fh.write(DRIVER)
            res = self.sandbox.run(driver, stdin=_payload(code, grids, timeout_s), limits=limits)
        if getattr(res, "timed_out", False):
            return [GridRun(error=f"timed out after {timeout_s:.1f}s", timed_out=True) for _ in grids]
        return _parse(res.stdout, len(grids), f"the sandbox stopped the program: {getattr(res, 'stderr', '')[-300:]}")


class InProcessGridRunner:
    """The fake: ``exec`` in this process, no isolation and no timeout. Tests only."""

    def run(self, code: str, grids: list[Grid], timeout_s: float = DEFAULT_TIMEOUT_S) -> list[GridRun]:
        ns: dict[str, Any] = {"__name__": "arc_program"}
        try:
            exec(compile(code, "<program>", "exec"), ns)  # noqa: S102 - test double
        except Exception as exc:
            return [GridRun(error=f"{type(exc).__name__}: {exc}") for _ in grids]
        fn = ns.get("transform")
        if not callable(fn):
            return [GridRun(error="the program defines no transform(grid) function") for _ in grids]
        out = []
        for g in grids:
            try:
                res = fn([list(r) for r in g])
                grid = as_grid(res)
                out.append(GridRun(output=grid, error=None if grid is not None else "transform returned something that is not a rectangular grid of ints 0-9"))
            except Exception as exc:
                out.append(GridRun(error=f"{type(exc).__name__}: {exc}"))
        return out


def default_runner() -> GridRunner:
    """The skills store's sandbox when it is installed, else agentmem's own subprocess runner."""
    try:
        from agentmem.sandbox import SubprocessSandbox  # type: ignore[import-not-found]
    except ImportError:
        return SubprocessGridRunner()
    return SandboxGridRunner(SubprocessSandbox())
