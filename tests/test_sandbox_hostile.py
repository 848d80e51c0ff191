"""Hostile playbooks against the bubblewrap sandbox, each escape from issue 14 refused or contained.

Every probe runs twice where it can: with bubblewrap started by root (``drop_privileges=False``,
the script is uid 0 in its own user namespace) and by an unprivileged user
(``drop_privileges=True``: bubblewrap is started as uid 65534, as when agentmem itself is not
root). The shell probes need no Python inside, so both modes run here even though this
machine's Python lives under the private ``/root``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from agentmem.errors import SandboxError, StoreError
from agentmem.sandbox import SandboxLimits, SubprocessSandbox

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox is Linux-only")

BWRAP_OK, BWRAP_WHY = SubprocessSandbox.bwrap_available()
needs_bwrap = pytest.mark.skipif(not BWRAP_OK, reason=f"bubblewrap unavailable: {BWRAP_WHY}")
IS_ROOT = os.geteuid() == 0
_NOBODY_OK = IS_ROOT and BWRAP_OK and __import__("agentmem.sandbox_bwrap", fromlist=["x"]).probe_as_nobody()
MODES = [pytest.param(False, id="bwrap-as-root"), pytest.param(True, id="bwrap-as-nobody", marks=pytest.mark.skipif(not _NOBODY_OK, reason="bwrap cannot start as nobody here"))] if IS_ROOT else [pytest.param(None, id="non-root")]


def _sb(drop: bool | None, **lim) -> SubprocessSandbox:
    base = dict(timeout_s=10, memory_mb=256, max_output_bytes=20_000)
    base.update(lim)
    return SubprocessSandbox(SandboxLimits(**base), drop_privileges=drop)


def _sh(tmp_path: Path, code: str, name: str = "probe.sh") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(code))
    return p


@pytest.fixture
def secret(tmp_path, monkeypatch):
    """A secret in a 'home' folder and in the parent's environment."""
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    (home / ".config" / "token").write_text("TOPSECRET-FILE")
    monkeypatch.setenv("AGENTMEM_TEST_API_KEY", "TOPSECRET-ENV")
    return home / ".config" / "token"


@needs_bwrap
@pytest.mark.parametrize("drop", MODES)
def test_proc_parent_root_and_environ_do_not_leak(tmp_path, secret, drop):
    res = _sb(drop).run(_sh(tmp_path, f"""
        cat /proc/$PPID/root{secret} /proc/1/root{secret} {secret} 2>&1
        cat /proc/$PPID/environ /proc/1/environ 2>&1 | tr '\\0' '\\n'
        for p in /proc/[0-9]*; do cat $p/environ 2>/dev/null | tr '\\0' '\\n'; done
        env; ls /proc | grep -c '^[0-9]'
        echo done
    """))
    out = res.stdout + res.stderr
    assert "TOPSECRET" not in out and res.stdout.endswith("done\n"), out[-2000:]
    assert res.isolation["bwrap"] and res.isolation["pid_namespace"]
    assert int(res.stdout.splitlines()[-2]) <= 6  # only the sandbox's own processes are visible


@needs_bwrap
@pytest.mark.parametrize("drop", MODES)
def test_nsenter_remount_and_umount_fail(tmp_path, secret, drop):
    marker = Path("/usr") / f"agentmem-escape-{os.getpid()}"
    res = _sb(drop).run(_sh(tmp_path, f"""
        nsenter -t 1 -a cat {secret} 2>&1
        nsenter --target $PPID --mount --net --pid cat {secret} 2>&1
        unshare -rm sh -c 'mount -o remount,rw /usr; touch {marker}' 2>&1
        mount -o remount,rw / 2>&1; mount -o remount,rw /usr 2>&1
        umount /usr 2>&1; umount -l /proc 2>&1
        touch {marker} 2>&1
        echo done
    """))
    assert "TOPSECRET" not in res.stdout + res.stderr and res.stdout.endswith("done\n")
    assert not marker.exists()


@needs_bwrap
@pytest.mark.parametrize("drop", MODES)
def test_writes_outside_the_folder_fail(tmp_path, drop):
    outside = tmp_path / "escaped.txt"
    res = _sb(drop).run(_sh(tmp_path, f"""
        echo x > {outside} 2>&1; echo x > /tmp/agentmem-escaped-{os.getpid()} 2>&1; echo x > /etc/agentmem-escaped 2>&1
        mkdir -p {tmp_path}/d 2>&1
        echo inside > mine.txt && cat mine.txt
    """), collect=["mine.txt"])
    assert not outside.exists() and not Path(f"/tmp/agentmem-escaped-{os.getpid()}").exists() and not Path("/etc/agentmem-escaped").exists()
    assert not (tmp_path / "d").exists()
    assert res.workdir_files == {"mine.txt": "inside\n"}


@needs_bwrap
@pytest.mark.parametrize("drop", MODES)
def test_loopback_listener_in_the_parent_is_unreachable(tmp_path, drop):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    accepted: list[object] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                accepted.append(conn)
            except OSError:
                pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        res = _sb(drop).run(_sh(tmp_path, f"(echo hi > /dev/tcp/127.0.0.1/{port}) 2>&1; echo rc=$?\n"))
        assert "rc=1" in res.stdout and not accepted, res
        assert res.isolation["network_namespace"]
    finally:
        stop.set()
        t.join(2)
        server.close()


@needs_bwrap
@pytest.mark.parametrize("drop", MODES)
def test_cannot_leave_its_cgroup_or_outlive_the_run(tmp_path, drop):
    tag = str(40000 + os.getpid() % 20000)
    res = _sb(drop).run(_sh(tmp_path, f"""
        for f in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/pids/cgroup.procs /sys/fs/cgroup/memory/cgroup.procs /sys/fs/cgroup/unified/cgroup.procs; do
          echo $$ > $f 2>/dev/null && echo "moved $f"
        done
        (sleep {tag}) &
        setsid sleep {tag} &
        nohup sleep {tag} > /dev/null 2>&1 &
        echo started
    """))
    assert "moved" not in res.stdout and "started" in res.stdout, res
    time.sleep(0.3)
    left = [p for p in os.listdir("/proc") if p.isdigit() and _cmdline(p) == f"sleep\0{tag}\0"]
    assert left == [], "processes outlived the run"


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return ""


@needs_bwrap
@pytest.mark.parametrize("drop", MODES)
def test_cannot_kill_a_process_outside(tmp_path, drop):
    victim = subprocess.Popen(["sleep", "60"])
    try:
        res = _sb(drop).run(_sh(tmp_path, f"kill -9 {victim.pid} 2>&1; kill -9 -1 2>&1; echo tried\n"))
        time.sleep(0.2)
        assert victim.poll() is None, "a process outside was killed"
        assert res.exit_code is not None
    finally:
        victim.kill()
        victim.wait()


@needs_bwrap
@pytest.mark.parametrize("drop", MODES)
def test_fork_bomb_is_bounded(tmp_path, drop):
    start = time.monotonic()
    res = _sb(drop, timeout_s=4, max_processes=16).run(_sh(tmp_path, ":(){ :|:& };:\nsleep 2\necho survived\n"))
    assert time.monotonic() - start < 20
    held = res.isolation.get("pids_cgroup") or res.isolation.get("nproc_rlimit")
    assert held, res.isolation
    assert res.isolation.get("pids_limit_hit") or "fork" in res.stderr or "retry" in res.stderr, res


@needs_bwrap
@pytest.mark.parametrize("drop", MODES)
def test_memory_in_many_children_is_bounded_for_the_tree(tmp_path, drop):
    sb = _sb(drop, timeout_s=20, memory_mb=300)
    res = sb.run(_sh(tmp_path, """
        for i in 1 2 3 4 5 6; do
          ( x=$(head -c 90000000 /dev/zero | tr '\\0' a); echo "held $i"; sleep 3 ) &
        done
        wait
        echo end
    """))
    if not res.isolation.get("memory_cgroup"):
        pytest.skip("no memory cgroup here: RLIMIT_AS bounds each process only (recorded in SandboxResult.isolation)")
    assert res.isolation.get("memory_limit_hit"), res
    assert res.stdout.count("held") < 6, res.stdout


@needs_bwrap
def test_python_that_switches_off_the_audit_hook_is_still_contained(tmp_path, secret):
    """The audit hook is a tripwire: a script that steps around it still meets bubblewrap."""
    outside = tmp_path / "py-escaped.txt"
    code = f"""
        import _posixsubprocess, os, subprocess, sys
        out = []
        for path in ({str(secret)!r}, '/proc/1/environ', '/proc/1/root{secret}'):
            try:
                fd = os.open(path, os.O_RDONLY)
                out.append(os.read(fd, 4096))
            except Exception as e:
                out.append(repr(e).encode())
        try:
            fd = os.open({str(outside)!r}, os.O_WRONLY | os.O_CREAT)
            os.write(fd, b'x')
        except Exception as e:
            out.append(repr(e).encode())
        print(out)
    """
    res = SubprocessSandbox(SandboxLimits(timeout_s=10, allow_subprocess=True)).run(_sh(tmp_path, code, "evade.py"))
    assert "TOPSECRET" not in res.stdout + res.stderr and not outside.exists()


def test_fail_closed_when_bwrap_is_missing(tmp_path, monkeypatch):
    from agentmem import sandbox_bwrap

    monkeypatch.setattr(sandbox_bwrap, "probe", lambda: (False, "bubblewrap is not installed (apt-get install bubblewrap)"))
    with pytest.raises(SandboxError, match="isolation level 'bwrap' is not available.*namespaces"):
        SubprocessSandbox().run(_sh(tmp_path, "echo hi\n"))
    # an explicit opt-in to a weaker level runs
    res = SubprocessSandbox(isolation="none").run(_sh(tmp_path, "echo hi\n"))
    assert res.ok and res.stdout == "hi\n" and res.isolation["bwrap"] is False


def test_only_regular_files_are_copied_in(tmp_path):
    root = tmp_path / "skill"
    (root / "scripts").mkdir(parents=True)
    (root / "scripts" / "run.sh").write_text("ls scripts | sort\n")
    os.mkfifo(root / "scripts" / "fifo")
    (root / "scripts" / "link").symlink_to("/etc/hostname")
    (root / "scripts" / "dirlink").symlink_to("/etc")
    if IS_ROOT:
        os.mknod(root / "scripts" / "zero", 0o600 | 0o020000, os.makedev(1, 5))
    res = SubprocessSandbox(isolation="none" if not BWRAP_OK else "bwrap").run("scripts/run.sh", root=root)
    assert res.ok and res.stdout == "run.sh\n", res
    big = root / "scripts" / "big.bin"
    with open(big, "wb") as fh:
        fh.truncate(20 * 1024 * 1024)
    with pytest.raises(SandboxError, match="big.bin"):
        SubprocessSandbox(isolation="none").run("scripts/run.sh", root=root)


def test_quarantined_and_retired_playbooks_do_not_run(settings, tmp_path):
    from agentmem.stores.skill_library import SkillLibrary
    from agentmem.testing import FakeSandbox

    fake = FakeSandbox()
    lib = SkillLibrary(settings, sandbox=fake)
    lib.create("probe-play", description="a playbook", body="Run it.", scripts={"run.sh": "echo hi\n"})
    name = "probe-play"
    assert lib.run(name).ok
    for state in ("quarantined", "retired"):
        lib.set_state(name, state)
        with pytest.raises(StoreError, match=state):
            lib.run(name)
    assert len(fake.calls) == 1
