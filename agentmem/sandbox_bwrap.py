"""The bubblewrap layer of :mod:`agentmem.sandbox`: the isolation a hostile script cannot undo.

`bubblewrap <https://github.com/containers/bubblewrap>`_ (Debian package ``bubblewrap``) starts
the script in new user, PID, mount, network, IPC, UTS and cgroup namespaces with

* a fresh root (a tmpfs made read-only once set up) holding only: the system folders
  (``/usr``, ``/etc`` with secret files masked, the ``/bin``/``/lib`` links) read-only, the
  Python installation read-only, a fresh ``/proc`` (only the sandbox's own processes), a
  minimal ``/dev``, and the working folder, the only writable place. The user's home, the
  agentmem home, ``/root``, ``/work``, ``/sys`` and every other folder are not mounted at all;
* every capability dropped, no new user namespaces (``--disable-userns``), no controlling
  terminal (``--new-session``), killed with its parent (``--die-with-parent``), an environment
  cleared to an allowlist (``--clearenv``);
* on x86-64 a seccomp filter refusing (EPERM) the syscalls that change mounts, namespaces or
  the kernel (``mount``, ``umount2``, ``unshare``, ``setns``, ``pivot_root``, ``ptrace``,
  ``bpf``, ``keyctl``, module loading, ...).

When agentmem runs as root and the Python installation is readable by everyone, bubblewrap
itself is started as the unprivileged ``nobody`` user (uid 65534, the working folder handed to
it), so even a kernel bug in a namespace leaves the script without root's rights outside. When
Python lives under a private folder (``/root/.pyenv``), bubblewrap runs as root: the script is
still uid 0 only inside its own user namespace, with no capabilities and nothing writable but
its folder (``SandboxResult.isolation["as_nobody"]`` says which).

:func:`probe` runs the exact command once per process (cached) and says why it failed, so the
sandbox can refuse to run (fail closed) instead of quietly running with less isolation.
"""

from __future__ import annotations

import functools
import os
import platform
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

NOBODY = 65534
_SECRET_FILES = ("/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", "/etc/sudoers", "/etc/security/opasswd")
_SECRET_DIRS = ("/etc/sudoers.d", "/etc/ssh", "/etc/ssl/private", "/etc/agentmem")
_SYSTEM_DIRS = ("/usr", "/etc")
_LINK_OR_DIR = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")

# x86-64 syscall numbers refused by the seccomp filter (EPERM)
_X86_64_DENY = {
    "ptrace": 101, "syslog": 103, "pivot_root": 155, "acct": 163, "chroot": 161, "mount": 165, "umount2": 166,
    "swapon": 167, "swapoff": 168, "reboot": 169, "init_module": 175, "delete_module": 176, "kexec_load": 246,
    "add_key": 248, "request_key": 249, "keyctl": 250, "unshare": 272, "perf_event_open": 298, "setns": 308,
    "process_vm_readv": 310, "process_vm_writev": 311, "finit_module": 313, "kexec_file_load": 320, "bpf": 321,
    "userfaultfd": 323, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
    "fspick": 433, "mount_setattr": 442,
}
_AUDIT_ARCH_X86_64 = 0xC000003E


def bwrap_binary() -> str | None:
    return shutil.which("bwrap") or (("/usr/bin/bwrap") if os.path.exists("/usr/bin/bwrap") else None)


def seccomp_program() -> bytes | None:
    """A classic-BPF seccomp program (``struct sock_filter[]``) for bwrap's ``--seccomp FD``;
    None where no filter is shipped for this architecture."""
    if platform.machine() not in ("x86_64", "AMD64"):
        return None
    ld_w_abs, jeq_k, jge_k, ret_k = 0x20, 0x15, 0x35, 0x06
    allow, kill, eperm = 0x7FFF0000, 0x80000000, 0x00050000 | 1  # SECCOMP_RET_KILL_PROCESS, ERRNO(EPERM)
    nrs = sorted(set(_X86_64_DENY.values()))
    ins: list[tuple[int, int, int, int]] = [
        (ld_w_abs, 0, 0, 4),  # seccomp_data.arch
        (jeq_k, 1, 0, _AUDIT_ARCH_X86_64),
        (ret_k, 0, 0, kill),
        (ld_w_abs, 0, 0, 0),  # seccomp_data.nr
        (jge_k, len(nrs) + 1, 0, 0x40000000),  # x32 ABI: refuse
    ]
    for i, nr in enumerate(nrs):
        ins.append((jeq_k, len(nrs) - i, 0, nr))
    ins.append((ret_k, 0, 0, allow))
    ins.append((ret_k, 0, 0, eperm))
    return b"".join(struct.pack("=HBBI", *i) for i in ins)


def _system_args(python_dirs: list[str]) -> list[str]:
    args: list[str] = []
    for d in _SYSTEM_DIRS:
        if os.path.isdir(d):
            args += ["--ro-bind", d, d]
    for d in _LINK_OR_DIR:
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
    for f in _SECRET_FILES:
        if os.path.isfile(f):
            args += ["--ro-bind", "/dev/null", f]
    for d in _SECRET_DIRS:
        if os.path.isdir(d):
            args += ["--tmpfs", d, "--remount-ro", d]
    covered = [d for d in _SYSTEM_DIRS + _LINK_OR_DIR if os.path.isdir(d)]
    for p in sorted(set(python_dirs)):
        if os.path.isdir(p) and not any(p == c or p.startswith(c.rstrip("/") + "/") for c in covered):
            args += ["--ro-bind", p, p]
            covered.append(p)
    return args


def command(
    inner: list[str],
    *,
    workdir: str,
    env: dict[str, str],
    python_dirs: list[str],
    read_dirs: list[str],
    network: bool,
    seccomp_fd: int | None,
) -> list[str]:
    """The bwrap command line that runs ``inner`` (argv) in ``workdir``."""
    binary = bwrap_binary()
    if binary is None:
        raise FileNotFoundError("bwrap")
    args = [binary, "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if not network:
        args.append("--unshare-net")
    else:
        args += ["--ro-bind-try", "/etc/resolv.conf", "/etc/resolv.conf"]
    args += ["--disable-userns", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "sandbox", "--clearenv"]
    for k, v in env.items():
        args += ["--setenv", k, v]
    args += _system_args(python_dirs)
    for d in read_dirs:
        if os.path.isdir(d):
            args += ["--ro-bind", d, d]
    args += ["--proc", "/proc", "--dev", "/dev", "--bind", workdir, workdir, "--chdir", workdir, "--remount-ro", "/"]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    return args + ["--"] + inner


def seccomp_fd() -> int | None:
    """A readable fd holding the seccomp program (the caller closes it after the child started)."""
    prog = seccomp_program()
    if prog is None:
        return None
    r, w = os.pipe()
    os.write(w, prog)  # a few hundred bytes: fits the pipe buffer
    os.close(w)
    return r


def drop_to_nobody() -> None:
    """Between fork and exec, when running as root: become uid/gid 65534 with no groups."""
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def others_can_read(paths: list[str]) -> bool:
    """Whether user ``nobody`` could reach every path (each folder on the way world-searchable)."""
    import stat

    for p in paths:
        cur = os.path.realpath(p)
        while True:
            try:
                mode = os.stat(cur).st_mode
            except OSError:
                return False
            if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
                return False
            if cur == "/":
                break
            cur = os.path.dirname(cur)
    return True


def hand_over(path: Path) -> None:
    """Give the working folder to ``nobody`` (when root starts bwrap as nobody)."""
    for dirpath, dirnames, filenames in os.walk(path):
        os.chown(dirpath, NOBODY, NOBODY, follow_symlinks=False)
        for n in filenames:
            os.chown(os.path.join(dirpath, n), NOBODY, NOBODY, follow_symlinks=False)


def probe() -> tuple[bool, str]:
    """Whether the full bwrap isolation starts here (cached): ``(True, "")`` or ``(False, why)``."""
    return _probe(False)


def probe_as_nobody() -> bool:
    """Whether root can start bwrap as user ``nobody`` here (unprivileged user namespaces)."""
    return os.geteuid() == 0 and _probe(True)[0]


@functools.lru_cache(maxsize=2)
def _probe(as_nobody: bool) -> tuple[bool, str]:
    if bwrap_binary() is None:
        return False, "bubblewrap is not installed (apt-get install bubblewrap)"
    work = tempfile.mkdtemp(prefix="agentmem-bwprobe-")
    fd = None
    try:
        root = as_nobody and os.geteuid() == 0
        if root:
            os.chown(work, NOBODY, NOBODY)
        fd = seccomp_fd()
        cmd = command(["/bin/sh", "-c", "touch ok && ! touch /etc/agentmem-probe 2>/dev/null"], workdir=work, env={"PATH": "/usr/bin:/bin"}, python_dirs=[], read_dirs=[], network=False, seccomp_fd=fd)
        proc = subprocess.run(cmd, capture_output=True, timeout=20, pass_fds=(fd,) if fd is not None else (), preexec_fn=drop_to_nobody if root else None)  # noqa: PLW1509
        if proc.returncode != 0 or not os.path.exists(os.path.join(work, "ok")):
            return False, f"bwrap failed to start a sandbox (exit {proc.returncode}): {proc.stderr.decode('utf-8', 'replace').strip()[:300]}"
        return True, ""
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"bwrap could not be run: {exc}"
    finally:
        if fd is not None:
            os.close(fd)
        shutil.rmtree(work, ignore_errors=True)
