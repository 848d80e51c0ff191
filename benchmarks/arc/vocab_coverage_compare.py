"""Paired before/after table of two ARC runs' records (e.g. the shipped-transform evaluation before and after a
vocabulary change): solved counts (official 2-attempt scoring, as recorded), tasks gained and lost, and the
runs' timings when their ``phase-shipped.json`` sits next to the run folder.

    python benchmarks/arc/vocab_coverage_compare.py BEFORE/eval-shipped AFTER/eval-shipped [--out PREFIX]

Each argument is a run folder holding ``records.jsonl`` (written by ``benchmarks/arc_skills_bench.py``).
Only tasks present in both runs are compared.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def solved(run: Path) -> dict[str, bool]:
    """task id -> solved (score 1.0) for one run folder."""
    path = run / "records.jsonl"
    if not path.is_file():
        raise SystemExit(f"{path}: no records (pass a run folder written by arc_skills_bench.py)")
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            out[str(rec["task_id"])] = float(rec.get("score") or 0.0) == 1.0
    return out


def timing(run: Path) -> dict:
    f = run.parent / "phase-shipped.json"
    return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else {}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--out", default="", help="write PREFIX.json and PREFIX.md")
    args = ap.parse_args(argv)
    a, b = solved(args.before), solved(args.after)
    common = sorted(set(a) & set(b))
    gained = [t for t in common if b[t] and not a[t]]
    lost = [t for t in common if a[t] and not b[t]]
    report = {"before": str(args.before), "after": str(args.after), "n": len(common),
              "before_solved": sum(a[t] for t in common), "after_solved": sum(b[t] for t in common),
              "gained": gained, "lost": lost, "before_timing": timing(args.before), "after_timing": timing(args.after)}
    print(f"{len(common)} tasks in both runs: {report['before_solved']} -> {report['after_solved']} solved")
    print(f"gained {len(gained)}: {' '.join(gained) or 'none'}")
    print(f"lost {len(lost)}: {' '.join(lost) or 'none'}")
    for side in ("before", "after"):
        t = report[f"{side}_timing"]
        if t:
            print(f"{side}: {t.get('eval_shipped_wall_s')} s wall, {t.get('eval_shipped_cpu_s')} CPU-s; {t.get('load_start')} -> "
                  f"{t.get('eval_shipped_load_end')}")
    if args.out:
        Path(args.out + ".json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        lines = [f"# Paired ARC runs: {report['before_solved']} -> {report['after_solved']} of {len(common)}", "",
                 f"Command: `python benchmarks/arc/vocab_coverage_compare.py {args.before} {args.after}`.", "",
                 f"- gained ({len(gained)}): {', '.join(f'`{t}`' for t in gained) or 'none'}",
                 f"- lost ({len(lost)}): {', '.join(f'`{t}`' for t in lost) or 'none'}"]
        for side in ("before", "after"):
            t = report[f"{side}_timing"]
            if t:
                lines.append(f"- {side}: {t.get('eval_shipped_wall_s')} s wall, {t.get('eval_shipped_cpu_s')} CPU-s "
                             f"({t.get('load_start')} at start, {t.get('eval_shipped_load_end')} at end)")
        Path(args.out + ".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
