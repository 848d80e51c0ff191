"""Cost of the skill library and the sandbox: load and lint the shipped library, and run a
trivial script plainly vs. in the sandbox (Python and shell). LLM-free.

    python benchmarks/skills_overhead.py [--repeats 10]

Prints a table and writes ``benchmarks/results/skills_overhead.{json,md}``. Timings depend on
the machine and its load; report the machine with them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(fn, repeats: int) -> dict[str, float]:
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return {"median_s": statistics.median(runs), "min_s": min(runs), "max_s": max(runs), "repeats": repeats}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args()

    from agentmem.resources import skills_dir
    from agentmem.sandbox import SandboxLimits, SubprocessSandbox
    from agentmem.settings import Settings
    from agentmem.stores.skill_library import SkillLibrary, lint_paths
    from agentmem.testing import HashEmbedder, InMemoryIndex

    work = Path(tempfile.mkdtemp(prefix="skills-bench-"))
    settings = Settings.load(home=work / "home", embedder={"backend": "hash"}, index={"backend": "memory"}).ensure_home()
    py = work / "hello.py"
    py.write_text("print('hello')\n")
    sh = work / "hello.sh"
    sh.write_text("echo hello\n")
    sb = SubprocessSandbox(SandboxLimits(timeout_s=10))
    lib = SkillLibrary(settings, embedder=HashEmbedder(), index=InMemoryIndex())
    rows = {
        "load shipped library (SkillLibrary())": timed(lambda: SkillLibrary(settings, embedder=HashEmbedder(), index=InMemoryIndex()), args.repeats),
        "lint shipped library (format only)": timed(lambda: lint_paths([skills_dir()]), args.repeats),
        "hybrid search, hash embedder (index rebuilt)": timed(lambda: (lib.reload(), lib.candidates("heat a mug", k=5)), args.repeats),
        "python script, plain subprocess": timed(lambda: subprocess.run([sys.executable, str(py)], capture_output=True, check=True), args.repeats),
        "python script, sandbox": timed(lambda: sb.run(py), args.repeats),
        "shell script, plain subprocess": timed(lambda: subprocess.run(["/bin/sh", str(sh)], capture_output=True, check=True), args.repeats),
        "shell script, sandbox": timed(lambda: sb.run(sh), args.repeats),
        "python script, sandbox isolation=namespaces (weaker opt-in)": timed(lambda: SubprocessSandbox(SandboxLimits(timeout_s=10), isolation="namespaces").run(py), args.repeats),
        "shell script, sandbox isolation=namespaces (weaker opt-in)": timed(lambda: SubprocessSandbox(SandboxLimits(timeout_s=10), isolation="namespaces").run(sh), args.repeats),
        "shell script, sandbox isolation=none (limits only)": timed(lambda: SubprocessSandbox(SandboxLimits(timeout_s=10), isolation="none").run(sh), args.repeats),
    }
    if SubprocessSandbox.bwrap_available()[0]:
        from agentmem import sandbox_bwrap

        def bare_bwrap() -> None:  # bubblewrap's own start cost: the same namespaces and mounts, /bin/true inside
            fd = sandbox_bwrap.seccomp_fd()
            cmd = sandbox_bwrap.command(["/bin/true"], workdir=str(work), env={"PATH": "/usr/bin:/bin"}, python_dirs=[], read_dirs=[], network=False, seccomp_fd=fd)
            subprocess.run(cmd, capture_output=True, check=True, pass_fds=(fd,) if fd is not None else ())
            if fd is not None:
                os.close(fd)

        rows["bwrap start alone (/bin/true inside, all namespaces + seccomp)"] = timed(bare_bwrap, args.repeats)
        rows["/bin/true, plain subprocess"] = timed(lambda: subprocess.run(["/bin/true"], capture_output=True, check=True), args.repeats)
    iso = sb.run(py).isolation
    report = {
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(), "uid": os.getuid(), "load_avg_1_5_15": list(os.getloadavg())},
        "skills": len(lib),
        "isolation": iso,
        "timings": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "skills_overhead.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "# Skill library and sandbox overhead",
        "",
        f"Machine: {report['machine']['platform']}, Python {report['machine']['python']}, {report['machine']['cpus']} CPUs, uid {report['machine']['uid']}. "
        f"{len(lib)} shipped skills. Sandbox layers: {', '.join(k for k, v in iso.items() if v)}. "
        f"Load average at the end (1/5/15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}.",
        "",
        f"Command: `python benchmarks/skills_overhead.py --repeats {args.repeats}`",
        "",
        "| operation | median s | min s | max s |",
        "|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['median_s']:.3f} | {r['min_s']:.3f} | {r['max_s']:.3f} |")
    text = "\n".join(lines) + "\n"
    (args.out / "skills_overhead.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
