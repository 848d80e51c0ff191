"""Linux isolation layers for :mod:`agentmem.sandbox`: namespaces, hidden paths, pids cgroups.

* :class:`Isolation` is what a child does between ``fork`` and ``exec``: enter a new network
  namespace (no network, not even loopback) and a new mount namespace in which the user's
  home and the agentmem home are covered by empty ``tmpfs`` mounts (the Python installation
  under them, if any, is bound back read-only so the interpreter still runs) and secret files
  such as ``/etc/shadow`` by ``/dev/null``. Non-root users get a user namespace too (mapping
  themselves to root inside it, as ``unshare -r`` does).
  With ``writable`` given, every mount is then made read-only except the working folder
  (``mount_setattr``, Linux 5.12+), so no script can write outside its folder.
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
SYS_MOUNT_SETATTR = 442  # the same number on every architecture (new syscalls are unified)
AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = -100, 0x8000, 0x1
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
        lib.syscall.restype = ctypes.c_long
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
    """Namespaces and mounts set up in the child (see the module docstring).

    Args:
        network: enter a new, empty network namespace.
        hide: folders to cover with an empty tmpfs (files: with ``/dev/null``).
        keep: folders under a hidden one to bind back (the Python installation, the workdir).
        writable: when not None, make every mount read-only except these folders.
    """

    def __init__(self, *, network: bool, hide: list[str], keep: list[str], writable: list[str] | None = None) -> None:
        self.network = network
        self.root = os.geteuid() == 0
        self.uid, self.gid = os.getuid(), os.getgid()
        self.hide = sorted({os.path.realpath(p) for p in hide if p and os.path.exists(p)})
        self.hide = [p for p in self.hide if p != "/"]
        hidden_dirs = [p for p in self.hide if os.path.isdir(p)]
        # keep only what lies under a hidden folder and exists; outermost first
        self.keep = sorted({os.path.realpath(p) for p in keep if os.path.isdir(p) and any(_under(os.path.realpath(p), h) for h in hidden_dirs)})
        self.keep = [k for k in self.keep if not any(k != o and _under(k, o) for o in self.keep)]
        self.writable = None if writable is None else sorted({os.path.realpath(p) for p in writable if os.path.isdir(p)})
        mounts = bool(self.hide) or self.writable is not None
        self.flags = (CLONE_NEWNET if network else 0) | (CLONE_NEWNS if mounts else 0)
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

    def _readonly(self, path: str, readonly: bool) -> None:
        """Set or clear MOUNT_ATTR_RDONLY on every mount at and under ``path`` (mount_setattr, Linux 5.12+)."""
        import ctypes

        attr = (ctypes.c_uint64 * 4)(MOUNT_ATTR_RDONLY if readonly else 0, 0 if readonly else MOUNT_ATTR_RDONLY, 0, 0)
        args = (ctypes.c_long(SYS_MOUNT_SETATTR), ctypes.c_int(AT_FDCWD), ctypes.c_char_p(path.encode()), ctypes.c_uint(AT_RECURSIVE), ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)))
        if self._lib.syscall(*args) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"mount_setattr {path}: {os.strerror(err)}")

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
        if not self.flags & CLONE_NEWNS:
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
        if self.writable is not None:
            for w in self.writable:
                self._mount(w, w, None, MS_BIND | MS_REC)
            self._readonly("/", True)
            for w in self.writable:
                self._readonly(w, False)
        # the working directory was entered before these mounts; enter it again through them
        os.chdir(os.getcwd())


_PROBED: dict[str, bool] = {}


def _try(iso: Isolation, script: str) -> bool:
    try:
        return subprocess.run(["/bin/sh", "-c", script], preexec_fn=iso.apply, capture_output=True, timeout=10).returncode == 0  # noqa: PLW1509
    except Exception:
        return False


def probe() -> dict[str, bool]:
    """Which layers work here (cached): ``network_namespace``, ``mount_namespace`` (hiding
    folders), ``readonly_root`` (everything read-only but the working folder)."""
    if _PROBED:
        return dict(_PROBED)
    result = {"network_namespace": False, "mount_namespace": False, "readonly_root": False}
    if sys.platform == "linux":
        import shutil

        scratch = tempfile.mkdtemp(prefix="agentmem-probe-")
        try:
            hidden, keep, work = (os.path.join(scratch, n) for n in ("hidden", "hidden/keep", "work"))
            os.makedirs(keep)
            os.makedirs(work)
            open(os.path.join(hidden, "secret"), "w").close()
            result["network_namespace"] = _try(Isolation(network=True, hide=[], keep=[]), "exit 0")
            result["mount_namespace"] = _try(Isolation(network=False, hide=[hidden], keep=[keep]), f'test -d "{keep}" && test ! -e "{hidden}/secret"')
            if result["mount_namespace"]:
                result["readonly_root"] = _try(Isolation(network=False, hide=[hidden], keep=[keep], writable=[work]), f'touch "{work}/ok" && ! touch "{scratch}/no" 2>/dev/null')
        finally:
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


class TreeCgroup:
    """Throw-away cgroups (v1: one per controller; v2: one) holding a run's whole process tree:
    ``pids`` caps how many processes it may hold, ``memory`` how much memory all of them
    together may use (``RLIMIT_AS`` only bounds each process). A script cannot leave them: the
    sandbox mounts no ``/sys`` and holds no capability. :meth:`cleanup` kills what is left."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self.paths = paths  # controller -> folder ("pids", "memory"); v2 uses one folder for both

    @staticmethod
    def _bases() -> dict[str, list[Path]]:
        bases: dict[str, list[Path]] = {"pids": [], "memory": [], "v2": []}
        try:
            for line in Path("/proc/self/cgroup").read_text().splitlines():
                hid, ctrl, rel = line.split(":", 2)
                for c in ctrl.split(","):
                    if c in ("pids", "memory"):
                        bases[c].append(Path("/sys/fs/cgroup") / c / rel.lstrip("/"))
                if hid == "0" and ctrl == "":
                    bases["v2"] += [Path("/sys/fs/cgroup") / rel.lstrip("/"), Path("/sys/fs/cgroup/unified") / rel.lstrip("/")]
        except (OSError, ValueError):
            pass
        bases["pids"].append(Path("/sys/fs/cgroup/pids"))
        bases["memory"].append(Path("/sys/fs/cgroup/memory"))
        return bases

    @staticmethod
    def _mk(base: Path, settings: dict[str, str]) -> Path | None:
        if not (base / "cgroup.procs").exists() or not os.access(base, os.W_OK):
            return None
        path = base / f"agentmem-sbx-{uuid.uuid4().hex[:10]}"
        try:
            path.mkdir()
        except OSError:
            return None
        try:
            for name, value in settings.items():
                (path / name).write_text(value)
            return path
        except OSError:
            try:
                path.rmdir()
            except OSError:
                pass
            return None

    @classmethod
    def create(cls, max_pids: int, memory_bytes: int) -> "TreeCgroup":
        paths: dict[str, Path] = {}
        if sys.platform != "linux":
            return cls(paths)
        bases = cls._bases()
        for base in bases["pids"]:
            p = cls._mk(base, {"pids.max": str(max_pids)})
            if p:
                paths["pids"] = p
                break
        for base in bases["memory"]:
            settings = {"memory.limit_in_bytes": str(memory_bytes)}
            if (base / "memory.memsw.limit_in_bytes").exists():
                settings["memory.memsw.limit_in_bytes"] = str(memory_bytes)
            p = cls._mk(base, settings)
            if p:
                paths["memory"] = p
                break
        if len(paths) < 2:
            for base in bases["v2"]:
                want = {k: v for k, v in (("pids.max", str(max_pids)), ("memory.max", str(memory_bytes)), ("memory.swap.max", "0")) if k.split(".")[0] not in paths}
                want = {k: v for k, v in want.items() if (base / k).exists() or k.startswith(("pids", "memory"))}
                p = cls._mk(base, {k: v for k, v in want.items() if k != "memory.swap.max"})
                if p:
                    for k in ("pids", "memory"):
                        paths.setdefault(k, p)
                    break
        return cls(paths)

    @property
    def held(self) -> dict[str, bool]:
        return {"pids_cgroup": "pids" in self.paths, "memory_cgroup": "memory" in self.paths}

    def join_paths(self) -> list[str]:
        return sorted({str(p / "cgroup.procs") for p in self.paths.values()})

    def pids_hit(self) -> bool:
        p = self.paths.get("pids")
        if p is None:
            return False
        try:
            events = (p / "pids.events").read_text()
            return any(line.split()[0] == "max" and int(line.split()[1]) > 0 for line in events.splitlines() if line.strip())
        except (OSError, ValueError, IndexError):
            return False

    def memory_hit(self) -> bool:
        p = self.paths.get("memory")
        if p is None:
            return False
        for name in ("memory.failcnt", "memory.oom_control", "memory.events"):
            try:
                text = (p / name).read_text()
            except OSError:
                continue
            if name == "memory.failcnt":
                if text.strip().isdigit() and int(text) > 0:
                    return True
            elif name == "memory.oom_control":
                if any(line.split()[0] == "oom_kill" and int(line.split()[1]) > 0 for line in text.splitlines() if len(line.split()) == 2):
                    return True
            elif any(line.split()[0] in ("max", "oom_kill") and int(line.split()[1]) > 0 for line in text.splitlines() if line.strip()):
                return True
        return False

    def cleanup(self) -> None:
        for path in set(self.paths.values()):
            PidsCgroup(path).cleanup()


class CopyLimits:
    """Bounds on what :func:`copy_regular_tree` copies."""

    def __init__(self, max_file_bytes: int = 16 * 1024 * 1024, max_total_bytes: int = 64 * 1024 * 1024, max_files: int = 2000) -> None:
        self.max_file_bytes, self.max_total_bytes, self.max_files = max_file_bytes, max_total_bytes, max_files


def copy_regular_tree(src: Path, dest: Path, limits: CopyLimits | None = None, skip: tuple[str, ...] = ("__pycache__",)) -> list[str]:
    """Copy the regular files and folders under ``src`` into ``dest``; symlinks, FIFOs, sockets
    and devices are skipped (never opened), files are opened with ``O_NOFOLLOW | O_NONBLOCK`` and
    checked again after opening. Raises ``ValueError`` naming the file when a cap is passed.
    Returns the relative paths skipped."""
    import stat

    lim = limits or CopyLimits()
    skipped: list[str] = []
    total = count = 0
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        rel_dir = os.path.relpath(dirpath, src)
        keep_dirs = []
        for d in dirnames:
            full = os.path.join(dirpath, d)
            if d in skip:
                continue
            if os.path.islink(full):
                skipped.append(os.path.normpath(os.path.join(rel_dir, d)))
                continue
            keep_dirs.append(d)
            os.makedirs(os.path.join(dest, rel_dir, d), exist_ok=True)
        dirnames[:] = keep_dirs
        for n in filenames:
            rel = os.path.normpath(os.path.join(rel_dir, n))
            full = os.path.join(dirpath, n)
            if n.endswith(".pyc"):
                continue
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                skipped.append(rel)
                continue
            if st.st_size > lim.max_file_bytes:
                raise ValueError(f"{full}: {st.st_size} bytes, over the {lim.max_file_bytes}-byte limit per file")
            count += 1
            total += st.st_size
            if count > lim.max_files:
                raise ValueError(f"{src}: more than {lim.max_files} files")
            if total > lim.max_total_bytes:
                raise ValueError(f"{src}: more than {lim.max_total_bytes} bytes in all")
            fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            try:
                st2 = os.fstat(fd)
                if not stat.S_ISREG(st2.st_mode):
                    skipped.append(rel)
                    continue
                out = os.path.join(dest, rel)
                with os.fdopen(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, st2.st_mode & 0o755 | 0o600), "wb") as fh:
                    left = lim.max_file_bytes + 1
                    while left > 0:
                        chunk = os.read(fd, min(1 << 20, left))
                        if not chunk:
                            break
                        fh.write(chunk)
                        left -= len(chunk)
                    if left <= 0:
                        raise ValueError(f"{full}: grew past the {lim.max_file_bytes}-byte limit while being copied")
            finally:
                os.close(fd)
    return skipped
