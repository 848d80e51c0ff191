"""How much can *learning over the shipped vocabulary* add on an ARC split? The depth-2 ceiling.

Reads a verified-program stream written by ``benchmarks/arc/verified_stream.py`` at a large budget
(every program the search verified on every train pair, in the library's default order, with the
candidate check it was found at; test outputs read only afterwards, to mark each program right or wrong).
When no search of the stream stopped on its budget, the stream holds the **whole pruned depth-2 space**
of every task, so its oracle row is exact: no search order (a learned prior) and no attempt choice (a
learned ranker) over the shipped transforms at depth 2 can solve a task outside it, at any budget.

Rows per budget B (official 2-attempt scoring):

* ``first two``: what the shipped search with budget B submits (the first verified program, then the
  next one with a different test prediction within ``B // 4`` further checks, the search's default window);
* ``any right by B``: an oracle (it reads the answer key): some program verified within B checks is right.
  Upper bound of what a better *attempt choice* could add at budget B with the library's order;
* ``any right (whole space)``: the same over the whole stream; upper bound of what a better *order* plus
  attempt choice could add at any budget.

With ``--target`` (default 0.15) it prints how many tasks the learned condition must solve to beat the
shipped search at the default budget by that fraction, and how many of them must therefore come from
programs **outside** the shipped depth-2 space (new learned skills or deeper programs).

    nice python benchmarks/arc/verified_stream.py --split evaluation --budget 20000 --seconds 300 --out .bench/s7/stream-eval-20k.jsonl
    python benchmarks/arc/learning_headroom.py --stream evaluation=.bench/s7/stream-eval-20k.jsonl [--stream training=...]

``--prior-trace SPLIT=PATH`` adds the same first-two rule replayed on a trace in a learned prior's order
(``benchmarks/arc/order_headroom.py --prior <prior folder> --budget 3000 --out PATH``): what the prior buys at
each budget, paired with the library order.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agentmem.fileio import atomic_write_json, atomic_write_text  # noqa: E402
from benchmarks.arc.attempt_ranker_bench import solved as _right  # noqa: E402  (every test output right in some attempt)
from benchmarks.arc.order_headroom import solved_at as prior_first_two  # noqa: E402  (the first-two rule on an order_headroom trace)

BUDGETS = (300, 1000, 1500, 3000, 6000, 10000, 20000)


def load_stream(path: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            out[rec["task_id"]] = rec
        except (json.JSONDecodeError, KeyError) as exc:
            raise SystemExit(f"{path}:{n}: not a verified_stream.py record ({exc})") from exc
    if not out:
        raise SystemExit(f"{path}: no records")
    return out


def _programs(rec: dict[str, Any], budget: int) -> list[dict[str, Any]]:
    """Programs with a test prediction found within ``budget``, one per distinct prediction (first found)."""
    seen, out = set(), []
    for e in rec["stream"]:
        if e["found_at"] > budget:
            break
        if e["key"] is None or e["key"] in seen:
            continue
        seen.add(e["key"])
        out.append(e)
    return out


def first_two(rec: dict[str, Any], budget: int) -> bool:
    """The shipped rule at ``budget``: first program, then the next distinct one within ``budget // 4`` checks."""
    progs = _programs(rec, budget)
    if not progs:
        return False
    limit = min(budget, progs[0]["found_at"] + budget // 4)
    return _right([progs[0]] + [p for p in progs[1:] if p["found_at"] <= limit][:1])


def any_right(rec: dict[str, Any], budget: float) -> bool:
    return any(_right([p]) for p in _programs(rec, int(min(budget, 10**12))))


def first_right_at(rec: dict[str, Any]) -> int | None:
    return next((p["found_at"] for p in _programs(rec, 10**12) if _right([p])), None)


def add_prior(a: dict[str, Any], recs: dict[str, dict[str, Any]], traces: list[dict[str, Any]]) -> None:
    """Per budget the prior order's solved count, and the paired gained / lost at the default budget."""
    by_id = {t["task"]: t for t in traces}
    if set(by_id) != set(recs):
        raise SystemExit(f"{a['split']}: the prior trace covers {len(by_id)} tasks, the stream {len(recs)}: not the same tasks")
    top = min(int(t["checks"]) for t in traces if t.get("budget_hit")) if any(t.get("budget_hit") for t in traces) else 10**12
    for row in a["budget_curve"]:
        if row["budget"] <= top:
            row["prior_first_two"] = sum(prior_first_two(t, row["budget"]) for t in traces)
    d = a["default_budget"]
    if d <= top:
        a["prior_gained"] = sorted(i for i in recs if prior_first_two(by_id[i], d) and not first_two(recs[i], d))
        a["prior_lost"] = sorted(i for i in recs if first_two(recs[i], d) and not prior_first_two(by_id[i], d))


def analyse(split: str, recs: dict[str, dict[str, Any]], default: int, target: float) -> dict[str, Any]:
    exhausted = sum(1 for r in recs.values() if r.get("budget_hit") is None)
    checks = sorted(int(r["candidates"]) for r in recs.values())
    rows = [{"budget": b, "first_two": sum(first_two(r, b) for r in recs.values()), "any_right": sum(any_right(r, b) for r in recs.values())}
            for b in BUDGETS if b <= max(checks)]
    shipped = sum(first_two(r, default) for r in recs.values())
    ceiling = sum(any_right(r, math.inf) for r in recs.values())
    need = math.ceil(shipped * (1 + target) - 1e-9)
    at = {tid: first_right_at(r) for tid, r in recs.items()}
    late = sorted((a, tid) for tid, a in at.items() if a is not None and a > default)
    return {"split": split, "tasks": len(recs), "searches_exhausted": exhausted, "checks_median": checks[len(checks) // 2], "checks_max": checks[-1],
            "cpu_s": round(sum(float(r.get("cpu_s") or 0.0) for r in recs.values()), 1), "default_budget": default, "budget_curve": rows,
            "shipped_at_default": shipped, "ceiling_whole_space": ceiling, "ceiling_is_exact": exhausted == len(recs),
            "right_only_beyond_default": [{"task": t, "first_right_at": a} for a, t in late],
            "target": target, "learned_needs": need, "needs_outside_space": max(0, need - ceiling)}


def _late(a: dict[str, Any]) -> str:
    return ", ".join(f"`{x['task']}` (check {x['first_right_at']:,})" for x in a["right_only_beyond_default"]) or "none"


def render(results: list[dict[str, Any]]) -> str:
    out = ["# ARC: what learning over the shipped vocabulary can add (the depth-2 ceiling)", "",
           "From `benchmarks/arc/verified_stream.py` streams (every verified program in the library's default order; test outputs read "
           "only afterwards). `any right` rows read the answer key: upper bounds, not methods.", ""]
    for a in results:
        exact = "every search exhausted the pruned depth-2 space, so the ceiling is exact" if a["ceiling_is_exact"] else \
            f"{a['tasks'] - a['searches_exhausted']} searches stopped on the budget: the ceiling is a lower bound"
        out += [f"## {a['split']} ({a['tasks']} tasks)", "",
                f"Checks per task to exhaust the space: median {a['checks_median']}, max {a['checks_max']} ({exact}); {a['cpu_s']} CPU-s.", "",
                "| budget (checks) | first two (shipped rule) | any right by then (oracle) | first two, learned prior's order |", "|---|---|---|---|"]
        out += [f"| {r['budget']:,} | {r['first_two']} | {r['any_right']} | {r.get('prior_first_two', '')} |" for r in a["budget_curve"]]
        out += ["", f"- Shipped search at the default budget ({a['default_budget']:,}): **{a['shipped_at_default']}**; any right program anywhere "
                f"in the depth-2 space: **{a['ceiling_whole_space']}** (+{a['ceiling_whole_space'] - a['shipped_at_default']}).",
                f"- Right only beyond the default budget: {_late(a)}.",
                f"- A +{a['target']:.0%} learning gain needs **{a['learned_needs']}**: at least **{a['needs_outside_space']}** of them from programs "
                "outside the shipped depth-2 space (learned skills that add capability, or deeper programs), whatever the prior or ranker."]
        if "prior_gained" in a:
            out.append(f"- Learned prior's order at the default budget, paired with the library order: gained {len(a['prior_gained'])} "
                       f"({', '.join(a['prior_gained']) or 'none'}), lost {len(a['prior_lost'])} ({', '.join(a['prior_lost']) or 'none'}).")
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stream", action="append", required=True, metavar="SPLIT=PATH", help="A verified_stream.py output, labelled by its split.")
    ap.add_argument("--prior-trace", action="append", default=[], metavar="SPLIT=PATH",
                    help="An order_headroom.py --prior trace of the same split's tasks: adds the learned prior's column.")
    ap.add_argument("--default-budget", type=int, default=3000)
    ap.add_argument("--target", type=float, default=0.15)
    ap.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args(argv)
    results = []
    priors = {}
    for spec in args.prior_trace:
        split, sep, path = spec.partition("=")
        if not sep or not path:
            ap.error(f"--prior-trace {spec!r}: expected SPLIT=PATH")
        try:
            priors[split] = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            ap.error(f"--prior-trace {path}: not an order_headroom.py trace ({exc})")
    for spec in args.stream:
        split, sep, path = spec.partition("=")
        if not sep or not path:
            ap.error(f"--stream {spec!r}: expected SPLIT=PATH")
        recs = load_stream(Path(path))
        a = analyse(split, recs, args.default_budget, args.target)
        if split in priors:
            add_prior(a, recs, priors[split])
        results.append(a)
    args.results.mkdir(parents=True, exist_ok=True)
    atomic_write_json(args.results / "arc_learning_headroom.json", {"streams": args.stream, "prior_traces": args.prior_trace, "results": results})
    cmd = " ".join(["python benchmarks/arc/learning_headroom.py", *(sys.argv[1:] if argv is None else argv)])
    md = render(results) + f"\nCommand: `{cmd}`; streams from `benchmarks/arc/verified_stream.py --budget 20000 --seconds 300`.\n"
    atomic_write_text(args.results / "arc_learning_headroom.md", md + "\n")
    print(md)
    return results


if __name__ == "__main__":
    main()
