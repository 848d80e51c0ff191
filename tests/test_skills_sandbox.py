"""The sandbox with hostile scripts: each is stopped or refused and reported; the caller continues."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from agentmem.errors import SandboxError
from agentmem.sandbox import Sandbox, SandboxLimits, SandboxResult, SubprocessSandbox
from agentmem.testing import FakeSandbox

pytestmark = pytest.mark.skipif(__import__("sys").platform != "linux", reason="the sandbox's limits are Linux-specific")


@pytest.fixture
def sb() -> SubprocessSandbox:
    return SubprocessSandbox(SandboxLimits(timeout_s=10, memory_mb=256, max_output_bytes=10_000))


def script(tmp_path: Path, name: str, code: str) -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(code))
    return p


def still_works(sb: SubprocessSandbox, tmp_path: Path) -> None:
    res = sb.run(script(tmp_path, "fine.py", "print('fine')\n"))
    assert res.ok and res.stdout == "fine\n"


def test_protocol_and_fake():
    assert isinstance(SubprocessSandbox(), Sandbox) and isinstance(FakeSandbox(), Sandbox)
    fake = FakeSandbox([SandboxResult(exit_code=2, stderr="boom")])
    assert fake.run("x.py").exit_code == 2 and fake.run("y.py").ok
    fake.assert_complete()


def test_normal_script_args_stdin_files_and_collect(sb, tmp_path):
    root = tmp_path / "skill"
    (root / "scripts").mkdir(parents=True)
    (root / "scripts" / "helper.py").write_text("def double(x):\n    return 2 * x\n")
    (root / "scripts" / "run.py").write_text(textwrap.dedent("""
        import os, sys, json
        from helper import double
        data = json.loads(sys.stdin.read())
        extra = open("input/extra.txt").read().strip()
        open("out.txt", "w").write("written")
        print(double(data["x"]), sys.argv[1:], extra, os.environ["HOME"] == os.getcwd(), "OPENAI_API_KEY" in os.environ)
    """))
    import os

    os.environ["OPENAI_API_KEY"] = "sk-secret-should-not-leak"
    try:
        res = sb.run("scripts/run.py", ["a", "b c"], root=root, stdin='{"x": 21}', files={"input/extra.txt": "more"}, collect=["*.txt"])
    finally:
        del os.environ["OPENAI_API_KEY"]
    assert res.ok, res.stderr
    assert res.stdout == "42 ['a', 'b c'] more True False\n"
    assert res.workdir_files == {"out.txt": "written"}
    assert not (root / "scripts" / "out.txt").exists() and not (root / "out.txt").exists()  # the skill folder is never written


def test_shell_script_runs(sb, tmp_path):
    res = sb.run(script(tmp_path, "hello.sh", "echo \"hi $1\"\nexit 4\n"), ["there"])
    assert res.exit_code == 4 and res.stdout == "hi there\n" and not res.ok


def test_missing_script_raises_sandbox_error(sb, tmp_path):
    with pytest.raises(SandboxError, match="does not exist"):
        sb.run(tmp_path / "nope.py")
    with pytest.raises(SandboxError, match="does not exist"):
        sb.run("scripts/nope.py", root=tmp_path)


def test_infinite_loop_is_stopped_by_the_timeout(tmp_path):
    sb = SubprocessSandbox(SandboxLimits(timeout_s=1.0, cpu_s=60))
    res = sb.run(script(tmp_path, "loop.py", "while True:\n    pass\n"))
    assert res.timed_out and res.killed == "timeout" and not res.ok
    assert "timeout" in res.describe()
    still_works(sb, tmp_path)


def test_cpu_limit_stops_a_busy_script(tmp_path):
    sb = SubprocessSandbox(SandboxLimits(timeout_s=60, cpu_s=1))
    res = sb.run(script(tmp_path, "spin.py", "while True:\n    pass\n"))
    assert res.killed in ("cpu", "signal") and not res.timed_out and res.signal in ("SIGXCPU", "SIGKILL")


def test_memory_hog_is_stopped(sb, tmp_path):
    res = sb.run(script(tmp_path, "hog.py", "chunks = []\nwhile True:\n    chunks.append(bytearray(50 * 1024 * 1024))\n"))
    assert res.killed == "memory" and not res.ok and "MemoryError" in res.stderr
    still_works(sb, tmp_path)


def test_python_fork_bomb_is_refused(sb, tmp_path):
    res = sb.run(script(tmp_path, "bomb.py", "import os\nwhile True:\n    os.fork()\n"))
    assert not res.ok and any(r.startswith("process os.fork") for r in res.refused)
    res = sb.run(script(tmp_path, "sub.py", "import subprocess\nsubprocess.run(['echo', 'x'])\n"))
    assert not res.ok and any(r.startswith("process subprocess.Popen") for r in res.refused)
    still_works(sb, tmp_path)


def test_shell_fork_bomb_is_bounded(tmp_path):
    sb = SubprocessSandbox(SandboxLimits(timeout_s=3, max_processes=16))
    if not sb.process_limit_available():
        pytest.skip("no pids cgroup and running as root: a shell fork bomb would not be bounded here")
    res = sb.run(script(tmp_path, "bomb.sh", "bomb() { bomb | bomb & }\nbomb\nsleep 2\n"))
    assert res.isolation.get("pids_cgroup") or res.isolation.get("nproc_rlimit")
    assert res.isolation.get("pids_limit_hit") or "fork" in res.stderr, res
    counted = sb.run(script(tmp_path, "many.sh", "for i in $(seq 40); do sleep 1 & done\necho started\nwait\n"))
    assert counted.isolation.get("pids_limit_hit") or "fork" in counted.stderr, counted
    still_works(sb, tmp_path)


def test_writing_outside_the_workdir_is_refused(sb, tmp_path):
    target = tmp_path / "outside.txt"
    res = sb.run(script(tmp_path, "w.py", f"open({str(target)!r}, 'w').write('x')\n"))
    assert not res.ok and not target.exists() and res.refused == [f"write {target}"]
    res = sb.run(script(tmp_path, "rm.py", f"import os\nos.remove({str(tmp_path / 'w.py')!r})\n"))
    assert not res.ok and (tmp_path / "w.py").exists()
    res = sb.run(script(tmp_path, "rel.py", "open('../escape.txt', 'w').write('x')\n"))
    assert not res.ok and res.refused and res.refused[0].startswith("write ")
    still_works(sb, tmp_path)


def test_reading_the_users_files_is_refused(tmp_path, settings):
    secret_home = tmp_path / "home" / ".config"
    secret_home.mkdir(parents=True)
    (secret_home / "token").write_text("TOPSECRET")
    (settings.home / "config.toml").write_text("[llm]\n")
    sb = SubprocessSandbox.from_settings(settings)
    for target in (secret_home / "token", Path("/etc/shadow"), settings.home / "config.toml"):
        res = sb.run(script(tmp_path, "r.py", f"print(open({str(target)!r}).read())\n"))
        assert not res.ok and "TOPSECRET" not in res.stdout and res.refused and res.refused[0].startswith("read "), (target, res)
    res = sb.run(script(tmp_path, "ls.py", f"import os\nprint(os.listdir({str(secret_home)!r}))\n"))
    assert not res.ok and "token" not in res.stdout
    # the standard library and site-packages stay readable
    res = sb.run(script(tmp_path, "std.py", "import json, collections, fractions\nprint(json.dumps([1]))\n"))
    assert res.ok and res.stdout == "[1]\n"


def test_huge_output_is_truncated(sb, tmp_path):
    res = sb.run(script(tmp_path, "big.py", "import sys\nsys.stdout.write('x' * 50_000)\nsys.stderr.write('e' * 30_000)\n"))
    assert res.ok and res.stdout_truncated and res.stderr_truncated
    assert len(res.stdout) == 10_000 and len(res.stderr) == 10_000
    res = sb.run(script(tmp_path, "flood.py", "while True:\n    print('y' * 1000)\n"))
    assert res.killed == "output" and res.stdout_truncated and len(res.stdout) == 10_000
    still_works(sb, tmp_path)


def test_network_is_refused_or_recorded_unavailable(sb, tmp_path):
    res = sb.run(script(tmp_path, "net.py", "import socket\ns = socket.socket()\ns.settimeout(2)\ns.connect(('127.0.0.1', 9))\n"))
    assert not res.ok and any(r.startswith("network socket.connect") for r in res.refused)
    if not SubprocessSandbox.network_isolation_available():
        assert res.isolation["network_namespace"] is False
        pytest.skip("no network namespace here (recorded in SandboxResult.isolation)")
    assert res.isolation["network_namespace"] is True
    shell = sb.run(script(tmp_path, "net.sh", "(echo > /dev/tcp/127.0.0.1/9) 2>&1\necho rc=$?\nip -o link 2>/dev/null | grep -v ' lo:' | wc -l\n"))
    assert "rc=1" in shell.stdout  # even loopback is down in the fresh namespace
    allowed = SubprocessSandbox(SandboxLimits(network=True)).run(script(tmp_path, "res.py", "import socket\nprint(socket.socket().connect_ex(('127.0.0.1', 9)) != 0)\n"))
    assert allowed.ok and allowed.isolation["network_namespace"] is False


def test_shell_scripts_cannot_see_hidden_folders(tmp_path, settings):
    if not SubprocessSandbox.path_hiding_available():
        res = SubprocessSandbox().run(script(tmp_path, "x.sh", "exit 0\n"))
        assert res.isolation["hidden_paths"] is False
        pytest.skip("no mount namespace here (recorded in SandboxResult.isolation)")
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    (home / ".config" / "token").write_text("TOPSECRET")
    (settings.home / "config.toml").write_text("api_key = 'TOPSECRET'\n")
    sb = SubprocessSandbox(hide_paths=[str(home), str(settings.home)])
    res = sb.run(script(tmp_path, "peek.sh", f"cat {home}/.config/token; ls -A {home}; cat {settings.home}/config.toml; cat /etc/shadow; echo done\n"))
    assert res.stdout == "done\n" and "TOPSECRET" not in res.stderr and res.isolation["hidden_paths"]
    assert (home / ".config" / "token").read_text() == "TOPSECRET"  # hidden from the script, untouched on disk
    # Python still starts when its installation lies under a hidden folder (it is bound back)
    import sys

    parent = str(Path(sys.base_prefix).parent)
    if parent != "/":
        py = SubprocessSandbox(hide_paths=[parent]).run(script(tmp_path, "v.py", "import json, sys\nprint(sys.version_info[0])\n"))
        assert py.ok and py.stdout == "3\n", py.stderr


def test_shell_scripts_cannot_write_outside_their_folder(sb, tmp_path):
    from agentmem.sandbox_os import probe

    target = tmp_path / "escaped.txt"
    res = sb.run(script(tmp_path, "w.sh", f"echo x > {target}\necho inside > mine.txt && mkdir -p tmp/a && cat mine.txt\n"), collect=["mine.txt"])
    if not probe().get("readonly_root"):
        assert res.isolation["readonly_root"] is False
        pytest.skip("mount_setattr not available here (recorded in SandboxResult.isolation)")
    assert res.isolation["readonly_root"] and not target.exists()
    # under bubblewrap the folder outside does not even exist in the sandbox's root
    assert ("Read-only file system" in res.stderr or "No such file or directory" in res.stderr) and res.stdout == "inside\n" and res.workdir_files == {"mine.txt": "inside\n"}
