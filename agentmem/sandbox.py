"""The sandbox seam: run an untrusted script (a playbook skill's entry, a test, a transform).

:class:`Sandbox` is the protocol; :class:`SubprocessSandbox` the real implementation;
:class:`agentmem.testing.FakeSandbox` the shipped fake.

:class:`SubprocessSandbox` runs a Python or shell script in a subprocess with

* a fresh temporary working folder (``root`` copied in, ``files`` added), removed afterwards;
* a wall-clock timeout (the whole process group is killed), ``RLIMIT_CPU``, ``RLIMIT_AS``
  (memory), ``RLIMIT_FSIZE`` (file size), ``RLIMIT_NPROC`` and, where the platform lets us, a
  ``pids`` cgroup (``RLIMIT_NPROC`` does not bind root; the cgroup does), against fork bombs;
* an output limit per stream (the rest is drained and dropped; a stream past 16x the limit
  gets the process killed);
* an environment stripped to an allowlist (``PATH``, ``LANG``, ``LC_*``, ``TZ``), with ``HOME``
  and ``TMPDIR`` pointing into the working folder: no API keys, no tokens;
* no network when a new network namespace can be created (``unshare(CLONE_NEWNET)``, with a
  new user namespace when not root);
* a new mount namespace in which the user's home, the agentmem home and secret files are
  hidden, and every mount but the working folder is read-only (:mod:`agentmem.sandbox_os`);
  :attr:`SandboxResult.isolation` records which layers held;
* for Python scripts, an audit hook (:pep:`578`) installed before the script runs that refuses
  writes outside the working folder, reads outside the working folder and the Python / system
  paths (so the user's home, ``/etc/shadow``, SSH keys are refused), sockets, and starting
  processes. Audit hooks are a tripwire, not a boundary (``ctypes`` can step around them); the
  OS-level limits above are what bound a hostile script.

A script that misbehaves is stopped or refused and *reported* in the :class:`SandboxResult`;
``run`` only raises :class:`~agentmem.errors.SandboxError` when the script cannot be started
at all (missing file, unknown interpreter).

Example::

    sb = SubprocessSandbox(SandboxLimits(timeout_s=5, memory_mb=256))
    res = sb.run("scripts/run.py", ["--grid", "[[1]]"], root=skill_folder)
    if res.ok: print(res.stdout)
    else: print(res.describe(), res.refused)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

IsolationLevel = Literal["bwrap", "namespaces", "none"]

from pydantic import BaseModel, Field

from .errors import SandboxError
from .sandbox_boot import BOOT as _BOOT  # the Python bootstrap run inside the child

if TYPE_CHECKING:
    from .settings import Settings

REFUSED_MARK = "[agentmem-sandbox] refused "
_SYSTEM_READ = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/opt", "/proc/cpuinfo", "/proc/meminfo", "/sys/devices/system/cpu")
_SECRET_FILES = ("/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/sudoers.d", "/etc/ssh", "/etc/ssl/private")
_ENV_ALLOW = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "TERM")


class SandboxLimits(BaseModel):
    """What one sandboxed run may use."""

    timeout_s: float = Field(10.0, gt=0, description="Wall-clock limit; the process group is killed after it.")
    cpu_s: int | None = Field(None, gt=0, description="CPU-seconds limit (RLIMIT_CPU); default ceil(timeout_s) + 1.")
    memory_mb: int = Field(512, gt=0, description="Address-space limit (RLIMIT_AS) in MiB.")
    max_output_bytes: int = Field(64_000, gt=0, description="Bytes kept per stream (stdout, stderr); the rest is dropped.")
    max_file_mb: int = Field(64, gt=0, description="Largest file the script may write (RLIMIT_FSIZE).")
    max_processes: int = Field(32, gt=0, description="Processes the script may have at once (pids cgroup / RLIMIT_NPROC).")
    network: bool = Field(False, description="Allow network access (off: new network namespace + audit hook).")
    allow_subprocess: bool = Field(False, description="Python scripts may start processes (off: the audit hook refuses).")
    read_paths: list[str] = Field(default_factory=list, description="Extra folders a Python script may read.")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment variables (added to the allowlist).")


class SandboxResult(BaseModel):
    """How a sandboxed run ended."""

    exit_code: int | None = Field(..., description="Process exit code; negative = killed by that signal; None = never started.")
    stdout: str = ""
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    timed_out: bool = False
    killed: Literal["timeout", "cpu", "memory", "output", "file_size", "signal"] | None = Field(None, description="Why the script was stopped, if it was.")
    signal: str | None = Field(None, description="Name of the signal that ended the process, if any.")
    refused: list[str] = Field(default_factory=list, description="Operations the audit hook refused ('open-write /etc/x', 'socket.connect ...').")
    duration_s: float = 0.0
    isolation: dict[str, bool] = Field(default_factory=dict, description="Which layers held: network_namespace, hidden_paths, readonly_root, pids_cgroup, nproc_rlimit, audit_hook (and pids_limit_hit when the process cap was reached).")
    workdir_files: dict[str, str] = Field(default_factory=dict, description="Text of the files matched by ``collect`` (small files only).")

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and self.killed is None

    def describe(self) -> str:
        """One line: 'exit 0', 'exit 1', 'killed: timeout after 5.0s', ... plus refusals."""
        if self.killed == "timeout":
            text = f"killed: timeout after {self.duration_s:.1f}s"
        elif self.killed:
            text = f"killed: {self.killed}" + (f" ({self.signal})" if self.signal else "")
        else:
            text = f"exit {self.exit_code}"
        if self.refused:
            text += f"; refused {len(self.refused)}: {self.refused[0]}"
        if self.stdout_truncated or self.stderr_truncated:
            text += "; output truncated"
        return text


@runtime_checkable
class Sandbox(Protocol):
    def run(
        self,
        script: str | Path,
        args: list[str] | None = None,
        *,
        root: Path | None = None,
        stdin: str | bytes | None = None,
        files: dict[str, str | bytes] | None = None,
        limits: SandboxLimits | None = None,
        collect: list[str] | None = None,
    ) -> SandboxResult:
        """Run ``script`` (relative to ``root``, which is copied into the working folder; or a
        standalone file) with ``args``. Never raises for what the script does."""
        ...




class SubprocessSandbox:
    """The real sandbox (see the module docstring)."""

    def __init__(
        self,
        limits: SandboxLimits | None = None,
        *,
        hide_paths: list[str] | None = None,
        deny_paths: list[str] | None = None,
        keep_workdir: bool = False,
        use_cgroup: bool = True,
        use_namespaces: bool = True,
        isolation: IsolationLevel = "bwrap",
        drop_privileges: bool | None = None,
    ) -> None:
        """``hide_paths``: folders covered by an empty tmpfs for every script (default: the
        user's home); ``deny_paths``: extra paths the Python audit hook refuses to read.
        ``isolation``: ``"bwrap"`` (the default; refused with :class:`SandboxError` when
        bubblewrap cannot start here), ``"namespaces"`` (agentmem's own, weaker namespaces and
        mounts, :mod:`agentmem.sandbox_os`) or ``"none"`` (resource limits only). The weaker
        levels are an explicit opt-in (``[sandbox] isolation`` in the settings).
        ``drop_privileges`` (root only, bwrap only): start bubblewrap as user ``nobody``; None =
        whenever what the script needs (Python, ``read_paths``) is readable by other users."""
        if isolation not in ("bwrap", "namespaces", "none"):
            raise SandboxError(f"isolation {isolation!r}: expected 'bwrap', 'namespaces' or 'none'")
        self.isolation_level = isolation if use_namespaces else "none"
        self.drop_privileges = drop_privileges
        self.limits = limits or SandboxLimits()
        home = str(Path.home())
        self.hide_paths = [str(p) for p in (hide_paths if hide_paths is not None else [home])] + list(_SECRET_FILES)
        self.deny_paths = [str(p) for p in (deny_paths or []) + self.hide_paths + [os.path.join(home, ".ssh")] if p]
        self.keep_workdir = keep_workdir
        self.use_cgroup = use_cgroup
        self.use_namespaces = use_namespaces

    @classmethod
    def from_settings(cls, settings: "Settings") -> "SubprocessSandbox":
        """Limits from ``settings.sandbox``; the user's home and the agentmem home hidden."""
        s = settings.sandbox
        return cls(SandboxLimits(timeout_s=s.timeout_s, memory_mb=s.memory_mb, max_output_bytes=s.max_output_bytes), hide_paths=[str(Path.home()), str(settings.home)], isolation=s.isolation)

    @staticmethod
    def bwrap_available() -> tuple[bool, str]:
        """Whether the bubblewrap isolation starts here, and why not (probed once)."""
        from .sandbox_bwrap import probe as bwrap_probe

        return bwrap_probe()

    @staticmethod
    def network_isolation_available() -> bool:
        """Whether children can be started in a fresh network namespace here (probed once)."""
        from .sandbox_os import probe

        return probe().get("network_namespace", False)

    @staticmethod
    def path_hiding_available() -> bool:
        """Whether children can be started in a mount namespace that hides the user's folders."""
        from .sandbox_os import probe

        return probe().get("mount_namespace", False)

    def process_limit_available(self) -> bool:
        """Whether a fork bomb would be bounded here (a pids cgroup can be made, or RLIMIT_NPROC binds)."""
        if os.geteuid() != 0:
            return True
        if not self.use_cgroup:
            return False
        from .sandbox_os import PidsCgroup

        cg = PidsCgroup.create(8)
        if cg is None:
            return False
        cg.cleanup()
        return True

    def _command(self, script: Path, workdir: Path, limits: SandboxLimits) -> tuple[list[str], bool]:
        suffix = script.suffix.lower()
        if suffix == ".py":
            return [sys.executable, "-I", "-c", _BOOT, str(script)], True
        if suffix in (".sh", ".bash"):
            shell = shutil.which("bash") or "/bin/sh"
            return [shell, str(script)], False
        if os.access(script, os.X_OK):
            return [str(script)], False
        raise SandboxError(f"{script.name}: cannot tell how to run it (not .py or .sh, not executable)")

    def run(
        self,
        script: str | Path,
        args: list[str] | None = None,
        *,
        root: Path | None = None,
        stdin: str | bytes | None = None,
        files: dict[str, str | bytes] | None = None,
        limits: SandboxLimits | None = None,
        collect: list[str] | None = None,
    ) -> SandboxResult:
        lim = limits or self.limits
        workdir = Path(tempfile.mkdtemp(prefix="agentmem-sbx-"))
        try:
            target = self._prepare(Path(script), root, workdir, files)
            return self._execute(target, [str(a) for a in (args or [])], workdir, stdin, lim, collect or [])
        finally:
            if not self.keep_workdir:
                shutil.rmtree(workdir, ignore_errors=True)

    def _prepare(self, script: Path, root: Path | None, workdir: Path, files: dict[str, str | bytes] | None) -> Path:
        if root is not None:
            root = Path(root)
            if not root.is_dir():
                raise SandboxError(f"{root}: skill folder does not exist")
            from .sandbox_os import copy_regular_tree

            try:
                copy_regular_tree(root, workdir)
            except (ValueError, OSError) as exc:
                raise SandboxError(f"{root}: not copied into the sandbox: {exc}") from exc
            if script.is_absolute() or ".." in script.parts:
                raise SandboxError(f"{script}: script must be relative to {root}")
            target = workdir / script
            if not target.is_file():
                raise SandboxError(f"{root / script}: script does not exist")
        else:
            if not script.is_file():
                raise SandboxError(f"{script}: script does not exist")
            if not script.is_file() or script.is_symlink():
                raise SandboxError(f"{script}: not a regular file")
            target = workdir / script.name
            shutil.copyfile(script, target)
        for rel, data in (files or {}).items():
            p = Path(rel)
            if p.is_absolute() or ".." in p.parts:
                raise SandboxError(f"files: {rel!r} must be a relative path inside the working folder")
            dest = workdir / p
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        (workdir / "tmp").mkdir(exist_ok=True)
        return target

    def _env(self, workdir: Path, lim: SandboxLimits, boot: bool) -> dict[str, str]:
        env = {k: os.environ[k] for k in _ENV_ALLOW if k in os.environ}
        env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
        env.setdefault("LANG", "C.UTF-8")
        env.update(HOME=str(workdir), TMPDIR=str(workdir / "tmp"), PYTHONDONTWRITEBYTECODE="1", PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        env.update(lim.env)
        if boot:
            env["AGENTMEM_SANDBOX"] = json.dumps({"workdir": str(workdir), "read": list(lim.read_paths), "system": list(_SYSTEM_READ), "deny": self.deny_paths, "network": lim.network, "subprocess": lim.allow_subprocess})
        return env

    def _execute(self, target: Path, args: list[str], workdir: Path, stdin: str | bytes | None, lim: SandboxLimits, collect: list[str]) -> SandboxResult:
        import resource

        cmd, boot = self._command(target, workdir, lim)
        cmd += args
        cpu = lim.cpu_s or int(lim.timeout_s) + 2
        mem = lim.memory_mb * 1024 * 1024
        fsize = lim.max_file_mb * 1024 * 1024
        from .sandbox_os import TreeCgroup, user_process_count

        root_user = os.geteuid() == 0
        level = self.isolation_level if sys.platform == "linux" else "none"
        if level == "bwrap":
            ok, why = self.bwrap_available()
            if not ok:
                raise SandboxError(
                    f"{target.name}: refused: the sandbox's isolation level 'bwrap' is not available here ({why}). "
                    "Install bubblewrap (apt-get install bubblewrap), or opt into a weaker level with "
                    "[sandbox] isolation = \"namespaces\" (or \"none\") in config.toml / AGENTMEM_SANDBOX__ISOLATION."
                )
        as_nobody = False
        if level == "bwrap" and root_user and self.drop_privileges is not False:
            from .sandbox_bwrap import others_can_read, probe_as_nobody
            from .sandbox_os import python_paths

            needed = (python_paths() + [sys.executable] if target.suffix.lower() == ".py" else []) + list(lim.read_paths) + [cmd[0]]
            as_nobody = others_can_read(needed) and probe_as_nobody()
            if self.drop_privileges and not as_nobody:
                raise SandboxError(f"{target.name}: cannot run as user nobody here: {', '.join(needed)} not readable by other users, or no unprivileged user namespaces")
        cgroup = TreeCgroup.create(lim.max_processes + 4, mem) if self.use_cgroup else TreeCgroup({})
        # RLIMIT_NPROC binds only non-root users; when a pids cgroup holds, it is not needed
        use_nproc = not cgroup.held["pids_cgroup"] and (not root_user or as_nobody)
        nproc = (user_process_count(65534 if as_nobody else os.getuid()) + lim.max_processes) if use_nproc else 0
        cg_procs = cgroup.join_paths()
        env = self._env(workdir, lim, boot)
        pass_fds: tuple[int, ...] = ()
        isolation: dict[str, bool] = {}
        iso = None
        if level == "bwrap":
            from . import sandbox_bwrap
            from .sandbox_os import python_paths

            if as_nobody:
                sandbox_bwrap.hand_over(workdir)
            sfd = sandbox_bwrap.seccomp_fd()
            pass_fds = (sfd,) if sfd is not None else ()
            cmd = sandbox_bwrap.command(cmd, workdir=str(workdir), env=env, python_dirs=python_paths() if boot else [], read_dirs=list(lim.read_paths), network=lim.network, seccomp_fd=sfd)
            env = {"PATH": env.get("PATH", "/usr/bin:/bin")}
            isolation = {"bwrap": True, "user_namespace": True, "pid_namespace": True, "network_namespace": not lim.network, "hidden_paths": True, "readonly_root": True, "caps_dropped": True, "seccomp": sfd is not None, "as_nobody": as_nobody}
        elif level == "namespaces":
            from .sandbox_os import CLONE_NEWNET, Isolation, probe, python_paths

            layers = probe()
            iso = Isolation(
                network=not lim.network and layers.get("network_namespace", False),
                hide=self.hide_paths if layers.get("mount_namespace") else [],
                keep=python_paths() + [str(workdir)] + list(lim.read_paths),
                writable=[str(workdir)] if layers.get("readonly_root") else None,
            )
            isolation = {"bwrap": False, "network_namespace": bool(iso.flags & CLONE_NEWNET), "hidden_paths": bool(iso.hide), "readonly_root": iso.writable is not None}
        else:
            isolation = {"bwrap": False, "network_namespace": False, "hidden_paths": False, "readonly_root": False}
        isolation.update(cgroup.held)
        isolation.update(nproc_rlimit=bool(nproc), audit_hook=boot)

        def preexec() -> None:  # runs in the child between fork and exec
            for procs in cg_procs:
                with open(procs, "w") as fh:
                    fh.write(str(os.getpid()))
            if iso is not None:
                iso.apply()
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if nproc:
                resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
            if as_nobody:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)

        start = time.monotonic()
        try:
            proc = subprocess.Popen(  # noqa: PLW1509 - preexec_fn is the point
                cmd,
                cwd=str(workdir),
                env=env,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                preexec_fn=preexec,
                start_new_session=True,
                close_fds=True,
                pass_fds=pass_fds,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            cgroup.cleanup()
            raise SandboxError(f"{target.name}: could not start ({exc})") from exc
        finally:
            for fd in pass_fds:
                os.close(fd)
        hard_cap = lim.max_output_bytes * 16
        readers = [_Reader(proc.stdout, lim.max_output_bytes, hard_cap), _Reader(proc.stderr, lim.max_output_bytes, hard_cap)]
        for r in readers:
            r.start()
        if stdin is not None:
            threading.Thread(target=_feed, args=(proc, stdin), daemon=True).start()
        killed: str | None = None
        timed_out = False
        deadline = start + lim.timeout_s
        poll = 0.002
        while True:
            try:
                proc.wait(timeout=poll)
                break
            except subprocess.TimeoutExpired:
                poll = min(poll * 2, 0.05)
            if time.monotonic() > deadline:
                timed_out, killed = True, "timeout"
                _kill_group(proc)
            elif any(r.over_cap for r in readers):
                killed = "output"
                _kill_group(proc)
        _kill_group(proc)  # stragglers in the group (background children)
        for r in readers:
            r.join(timeout=5)
        duration = time.monotonic() - start
        if cgroup.pids_hit():
            isolation["pids_limit_hit"] = True
        if cgroup.memory_hit():
            isolation["memory_limit_hit"] = True
            if killed is None and proc.returncode not in (0, None):
                killed = "memory"
        cgroup.cleanup()
        out, err = readers[0].text(), readers[1].text()
        code = proc.returncode
        if level == "bwrap" and code is not None and 128 < code < 160:
            code = -(code - 128)  # bwrap reports a child killed by signal N as exit 128 + N
        sig_name = None
        if code is not None and code < 0:
            try:
                sig_name = signal.Signals(-code).name
            except ValueError:
                sig_name = f"signal {-code}"
        if killed is None and sig_name:
            killed = {"SIGXCPU": "cpu", "SIGXFSZ": "file_size"}.get(sig_name, "signal")
        if killed is None and code not in (0, None) and ("MemoryError" in err[-4000:] or "bad_alloc" in err[-4000:] or "Cannot allocate memory" in err[-4000:]):
            killed = "memory"
        refused = [line[len(REFUSED_MARK):] for line in err.splitlines() if line.startswith(REFUSED_MARK)]
        gathered: dict[str, str] = {}
        for pattern in collect:
            for p in sorted(workdir.glob(pattern)):
                if p.is_file() and p.stat().st_size <= lim.max_output_bytes:
                    gathered[p.relative_to(workdir).as_posix()] = p.read_text("utf-8", errors="replace")
        return SandboxResult(
            exit_code=code,
            stdout=out,
            stderr=err,
            stdout_truncated=readers[0].truncated,
            stderr_truncated=readers[1].truncated,
            timed_out=timed_out,
            killed=killed,  # type: ignore[arg-type]
            signal=sig_name,
            refused=refused,
            duration_s=duration,
            isolation=isolation,
            workdir_files=gathered,
        )


def _feed(proc: subprocess.Popen, data: str | bytes) -> None:
    try:
        assert proc.stdin is not None
        proc.stdin.write(data.encode("utf-8") if isinstance(data, str) else data)
        proc.stdin.close()
    except (OSError, ValueError):
        pass


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass


class _Reader(threading.Thread):
    """Drains one pipe, keeping the first ``limit`` bytes."""

    def __init__(self, stream: Any, limit: int, cap: int) -> None:
        super().__init__(daemon=True)
        self.stream, self.limit, self.cap = stream, limit, cap
        self.buf = bytearray()
        self.total = 0

    def run(self) -> None:
        try:
            while True:
                chunk = self.stream.read1(65536) if hasattr(self.stream, "read1") else self.stream.read(65536)
                if not chunk:
                    break
                self.total += len(chunk)
                room = self.limit - len(self.buf)
                if room > 0:
                    self.buf += chunk[:room]
        except (OSError, ValueError):
            pass

    @property
    def truncated(self) -> bool:
        return self.total > self.limit

    @property
    def over_cap(self) -> bool:
        return self.total > self.cap

    def text(self) -> str:
        return self.buf.decode("utf-8", errors="replace")
