"""Linux isolation layers for :mod:`agentmem.sandbox`: namespaces, hidden paths, pids cgroups.

* :class:`Isolation` is what a child does between ``fork`` and ``exec``: enter a new network
  namespace (no network, not even loopback) and a new mount namespace in which the user's
  home and the agentmem home are covered by empty ``tmpfs`` mounts (the Python installation
  under them, if any, is bound back read-only so the interpreter still runs) and secret files
  such as ``/etc/shadow`` by ``/dev/null``. Non-root users get a user namespace too (mapping
  themselves to root inside it, as ``unshare -r`` does).
* :func:`probe` tells once per process which of these layers the platform allows (containers
  and hardened kernels often forbid namespaces); the sandbox records the answer in
  ``SandboxResult.isolation`` instead of failing.
* :class:`PidsCgroup` is a throw-away ``pids`` cgroup that caps how many processes a run may
  hold (``RLIMIT_NPROC`` does not bind root; a cgroup does).
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18

_LIBC: Any = None


def libc() -> Any:
    """The C library via ctypes (loaded once, in the parent, so children need not load it)."""
    global _LIBC  # a process-wide handle to libc, not configuration
    if _LIBC is None:
        import ctypes
        import ctypes.util

        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        lib.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
        lib.unshare.argtypes = [ctypes.c_int]
        _LIBC = lib
    return _LIBC


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def python_paths() -> list[str]:
    """Folders the Python interpreter needs at start-up (prefixes, stdlib, site-packages)."""
    return list(_python_paths())


@functools.lru_cache(maxsize=1)
def _python_paths() -> tuple[str, ...]:
    import sysconfig

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    paths.update(v for v in sysconfig.get_paths().values() if v)
    paths.update(p for p in sys.path if p and os.path.isdir(p) and "-packages" in p)
    return tuple(sorted({os.path.realpath(p) for p in paths if p and os.path.isdir(p)}))


class Isolation:
    """Namespaces and mounts set up in the child (see the module docstring)."""

    def __init__(self, *, network: bool, hide: list[str], keep: list[str]) -> None:
        self.network = network
        self.root = os.geteuid() == 0
        self.uid, self.gid = os.getuid(), os.getgid()
        self.hide = sorted({os.path.realpath(p) for p in hide if p and os.path.exists(p)})
        self.hide = [p for p in self.hide if p != "/"]
        hidden_dirs = [p for p in self.hide if os.path.isdir(p)]
        # keep only what lies under a hidden folder and exists; outermost first
        self.keep = sorted({os.path.realpath(p) for p in keep if os.path.isdir(p) and any(_under(os.path.realpath(p), h) for h in hidden_dirs)})
        self.keep = [k for k in self.keep if not any(k != o and _under(k, o) for o in self.keep)]
        self.flags = (CLONE_NEWNET if network else 0) | (CLONE_NEWNS if self.hide else 0)
        if self.flags and not self.root:
            self.flags |= CLONE_NEWUSER
        self._lib = libc() if self.flags else None

    @property
    def active(self) -> bool:
        return bool(self.flags)

    def _mount(self, source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
        enc = (lambda s: s.encode() if s is not None else None)
        if self._lib.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
            import ctypes

            err = ctypes.get_errno()
            raise OSError(err, f"mount {source} on {target}: {os.strerror(err)}")

    def apply(self) -> None:
        """Run in the child, between fork and exec. Raises OSError when a layer cannot be set up."""
        if not self.flags:
            return
        if self._lib.unshare(self.flags) != 0:
            import ctypes

            raise OSError(ctypes.get_errno(), "unshare failed")
        if self.flags & CLONE_NEWUSER:
            with open("/proc/self/setgroups", "w") as fh:
                fh.write("deny")
            with open("/proc/self/uid_map", "w") as fh:
                fh.write(f"0 {self.uid} 1")
            with open("/proc/self/gid_map", "w") as fh:
                fh.write(f"0 {self.gid} 1")
        if not self.hide:
            return
        self._mount(None, "/", None, MS_REC | MS_PRIVATE)
        # handles on the folders to keep, taken in the new namespace before they are covered
        keep_fds = [os.open(k, os.O_PATH | os.O_DIRECTORY) for k in self.keep]
        for path in self.hide:
            if os.path.isdir(path):
                self._mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
            else:
                self._mount("/dev/null", path, None, MS_BIND)
        for keep, fd in zip(self.keep, keep_fds):
            os.makedirs(keep, exist_ok=True)
            self._mount(f"/proc/self/fd/{fd}", keep, None, MS_BIND | MS_REC)
            os.close(fd)


_PROBED: dict[str, bool] = {}


def probe() -> dict[str, bool]:
    """Which layers work here: ``{"network_namespace": bool, "mount_namespace": bool}`` (cached)."""
    if _PROBED:
        return dict(_PROBED)
    result = {"network_namespace": False, "mount_namespace": False}
    if sys.platform == "linux":
        for key, kwargs in (("network_namespace", {"network": True, "hide": [], "keep": []}), ("mount_namespace", None)):
            try:
                if kwargs is None:
                    scratch = tempfile.mkdtemp(prefix="agentmem-probe-")
                    os.makedirs(os.path.join(scratch, "keep"))
                    open(os.path.join(scratch, "secret"), "w").close()
                    iso = Isolation(network=False, hide=[scratch], keep=[os.path.join(scratch, "keep")])
                    cmd = ["/bin/sh", "-c", f'test -d "{scratch}/keep" && test ! -e "{scratch}/secret"']
                else:
                    iso = Isolation(**kwargs)
                    cmd = ["/bin/sh", "-c", "exit 0"]
                ok = subprocess.run(cmd, preexec_fn=iso.apply, capture_output=True, timeout=10).returncode == 0  # noqa: PLW1509
                result[key] = ok
            except Exception:
                result[key] = False
            finally:
                if kwargs is None:
                    import shutil

                    shutil.rmtree(scratch, ignore_errors=True)
    _PROBED.update(result)
    return dict(result)


def user_process_count(uid: int) -> int:
    n = 0
    try:
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    if entry.stat().st_uid == uid:
                        n += 1
                except OSError:
                    pass
    except OSError:
        return 0
    return n


class PidsCgroup:
    """A throw-away ``pids`` cgroup (v1 or v2) capping how many processes a run may hold."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, max_pids: int) -> "PidsCgroup | None":
        if sys.platform != "linux":
            return None
        bases = [Path("/sys/fs/cgroup/pids")]
        try:
            for line in Path("/proc/self/cgroup").read_text().splitlines():
                hid, ctrl, rel = line.split(":", 2)
                if ctrl == "pids":
                    bases.insert(0, Path("/sys/fs/cgroup/pids") / rel.lstrip("/"))
                elif hid == "0" and ctrl == "":
                    bases += [Path("/sys/fs/cgroup") / rel.lstrip("/"), Path("/sys/fs/cgroup/unified") / rel.lstrip("/")]
        except (OSError, ValueError):
            pass
        for base in bases:
            if not (base / "cgroup.procs").exists() or not os.access(base, os.W_OK):
                continue
            path = base / f"agentmem-sbx-{uuid.uuid4().hex[:10]}"
            try:
                path.mkdir()
            except OSError:
                continue
            try:
                (path / "pids.max").write_text(str(max_pids))
                return cls(path)
            except OSError:
                try:
                    path.rmdir()
                except OSError:
                    pass
        return None

    def join_path(self) -> str:
        return str(self.path / "cgroup.procs")

    def hit_limit(self) -> bool:
        try:
            events = (self.path / "pids.events").read_text()
            return any(line.split()[0] == "max" and int(line.split()[1]) > 0 for line in events.splitlines() if line.strip())
        except (OSError, ValueError, IndexError):
            return False

    def cleanup(self) -> None:
        """Kill whatever is left in the cgroup (even processes that left the process group) and remove it."""
        for _ in range(50):
            try:
                pids = [int(x) for x in (self.path / "cgroup.procs").read_text().split()]
            except OSError:
                pids = []
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.02)
