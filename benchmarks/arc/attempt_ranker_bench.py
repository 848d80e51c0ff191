"""Which verified programs become the two ARC attempts: headroom, a non-learned rule and the learned ranker.

Replays the verified-program streams written by ``benchmarks/arc/verified_stream.py`` (every program
the search verified on every train pair, in discovery order, with the candidate count it was found at).
The pool of a task is what :class:`~agentmem.evals.arc.search.CompositionSearch` with ``pool=K`` collects
live: programs with distinct test predictions found at most ``second_budget`` checks after the first
(the same window, the same budget as the shipped rule), at most ``K`` of them, with their vote counts.

Rows (official 2-attempt scoring; the test outputs are read only to score, and on the training split
as the ranker's labels):

* ``shipped``: the first two of the pool (the shipped first-two rule, exactly what the live search submits);
* ``vote``: the non-learned baseline (:func:`~agentmem.evals.arc.attempts.vote_order`);
* ``learned``: :class:`~agentmem.evals.arc.attempts.AttemptRanker`; on the training split by ``--folds``-fold
  cross-validation over tasks (trained on the other folds' rows), on ``--eval`` trained on the whole
  training stream and run once on the evaluation stream;
* headroom: tasks with a right program in the pool (an oracle choice: upper bound, not a method), and
  in the whole budget (the window is not the limit); ``full_window_shipped``: the first-two rule with the
  window widened to the whole budget;
* ``*_top1``: the same rules with a single attempt (how often the first choice is right).

    python benchmarks/arc/attempt_ranker_bench.py --train .bench/arcrank/stream-training.jsonl [--eval .bench/arcrank/stream-evaluation.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agentmem.evals.arc.attempts import AttemptRanker, candidate_features, vote_order  # noqa: E402


def load_stream(path: Path) -> dict[str, dict[str, Any]]:
    return {r["task_id"]: r for r in (json.loads(line) for line in path.read_text().splitlines() if line.strip())}


def pool_of(rec: dict[str, Any], second_budget: int, k: int, budget: int) -> list[dict[str, Any]]:
    """The pool the live search (``pool=k``) collects from this stream: the same window, votes and cap."""
    if rec["first_at"] is None:
        return []
    limit = min(budget, rec["first_at"] + second_budget)
    pool: list[dict[str, Any]] = []
    by_key: dict[str, dict[str, Any]] = {}
    for e in rec["stream"]:
        if e["key"] is None:
            continue
        if e["found_at"] > limit:
            break
        if e["key"] in by_key:
            by_key[e["key"]]["votes"] += 1
            continue
        entry = {**e, "votes": 1}
        by_key[e["key"]] = entry
        pool.append(entry)
        if len(pool) >= k:
            break
    return pool


def solved(chosen: list[dict[str, Any]]) -> bool:
    if not chosen:
        return False
    n = len(chosen[0]["correct"])
    return n > 0 and all(any(c["correct"][i] for c in chosen) for i in range(n))


def features(task: Any, pool: list[dict[str, Any]]) -> list[dict[str, float]]:
    return [candidate_features(task.train_pairs, task.test_inputs, pool, i) for i in range(len(pool))]


def evaluate(recs: dict[str, dict], tasks: dict[str, Any], ranker: AttemptRanker | None, ids: list[str], args: argparse.Namespace,
             cache: dict[str, list]) -> dict[str, dict[str, bool]]:
    out: dict[str, dict[str, bool]] = {}
    for tid in ids:
        rec = recs[tid]
        pool = pool_of(rec, args.second_budget, args.pool, args.budget)
        vote = vote_order(pool)
        row = {"shipped": solved(pool[:2]), "vote": solved([pool[i] for i in vote[:2]]),
               "shipped_top1": solved(pool[:1]), "vote_top1": solved([pool[i] for i in vote[:1]]),
               "pool_oracle": any(all(e["correct"]) and e["correct"] for e in pool),
               "budget_oracle": any(e["key"] is not None and e["correct"] and all(e["correct"]) for e in rec["stream"]),
               "full_window_shipped": solved(pool_of(rec, args.budget, 2, args.budget))}
        if ranker is not None:
            feats = cache.setdefault(tid, features(tasks[tid], pool))
            scores = [ranker.score(f) for f in feats]
            order = sorted(range(len(pool)), key=lambda i: (-round(scores[i], 9), i))
            row["learned"] = solved([pool[i] for i in order[:2]])
            row["learned_top1"] = solved([pool[i] for i in order[:1]])
        out[tid] = row
    return out


def train_rows(recs: dict[str, dict], tasks: dict[str, Any], ids: list[str], args: argparse.Namespace, cache: dict[str, list]) -> list[tuple[dict, bool]]:
    rows = []
    for tid in ids:
        pool = pool_of(recs[tid], args.second_budget, args.pool, args.budget)
        if len(pool) < 2:
            continue  # nothing to choose: no signal for the ranker
        feats = cache.setdefault(tid, features(tasks[tid], pool))
        rows += [(f, bool(e["correct"]) and all(e["correct"])) for f, e in zip(feats, pool)]
    return rows


def table(res: dict[str, dict[str, bool]], cols: list[str]) -> dict[str, int]:
    return {c: sum(r.get(c, False) for r in res.values()) for c in cols}


def paired(res: dict[str, dict[str, bool]], a: str, b: str) -> dict[str, Any]:
    gained = sorted(t for t, r in res.items() if r.get(b) and not r.get(a))
    lost = sorted(t for t, r in res.items() if r.get(a) and not r.get(b))
    return {"gained": gained, "lost": lost}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from agentmem.evals.arc.data import load_split

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", type=Path, required=True)
    ap.add_argument("--eval", type=Path, default=None, help="Evaluation stream: trained on the whole training stream, run once.")
    ap.add_argument("--pool", type=int, default=8)
    ap.add_argument("--second-budget", type=int, default=750)
    ap.add_argument("--budget", type=int, default=3000)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--out", type=Path, default=None, help="Write the figures as JSON here.")
    args = ap.parse_args(argv)
    cols = ["shipped", "vote", "learned", "pool_oracle", "full_window_shipped", "budget_oracle", "shipped_top1", "vote_top1", "learned_top1"]

    recs = load_stream(args.train)
    tasks = {t.id: t for t in load_split("training") if t.id in recs}
    ids = sorted(recs)
    cache: dict[str, list] = {}
    cv: dict[str, dict[str, bool]] = {}
    fold = {t: zlib.crc32(t.encode()) % args.folds for t in ids}
    for k in range(args.folds):
        rk = AttemptRanker(l2=args.l2)
        rk.fit(train_rows(recs, tasks, [t for t in ids if fold[t] != k], args, cache))
        cv.update(evaluate(recs, tasks, rk, [t for t in ids if fold[t] == k], args, cache))
    out: dict[str, Any] = {"settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                           "training_cv": {"n": len(cv), **table(cv, cols), "learned_vs_shipped": paired(cv, "shipped", "learned"),
                                           "vote_vs_shipped": paired(cv, "shipped", "vote")}}
    print(f"training split, {args.folds}-fold CV over {len(cv)} tasks (pool {args.pool}, window {args.second_budget}):", json.dumps(table(cv, cols)))
    print("  learned vs shipped:", {k: len(v) for k, v in out["training_cv"]["learned_vs_shipped"].items()},
          " vote vs shipped:", {k: len(v) for k, v in out["training_cv"]["vote_vs_shipped"].items()})
    full = AttemptRanker(l2=args.l2)
    out["fit"] = full.fit(train_rows(recs, tasks, ids, args, cache))
    out["weights"] = dict(sorted(full.weights.items(), key=lambda kv: -abs(kv[1]))[:25])
    if args.eval is not None:
        erecs = load_stream(args.eval)
        etasks = {t.id: t for t in load_split("evaluation") if t.id in erecs}
        res = evaluate(erecs, etasks, full, sorted(erecs), args, {})
        out["evaluation"] = {"n": len(res), **table(res, cols), "learned_vs_shipped": paired(res, "shipped", "learned"),
                             "vote_vs_shipped": paired(res, "shipped", "vote")}
        print(f"evaluation split, {len(res)} tasks:", json.dumps(table(res, cols)))
        print("  learned vs shipped:", out["evaluation"]["learned_vs_shipped"], " vote vs shipped:", out["evaluation"]["vote_vs_shipped"])
    out["load"] = "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out, indent=2) + "\n")
        args.out.with_suffix(".md").write_text(render_md(out))
    print(out["load"])
    return out


def render_md(out: dict[str, Any]) -> str:
    st = out["settings"]
    lines = ["# Which verified programs become the two ARC attempts", "",
             f"Replayed from the verified-program streams ({st['train']}" + (f", {st['eval']}" if st.get("eval") else "") + "); "
             f"pool {st['pool']} programs with distinct test predictions within {st['second_budget']} checks after the first "
             f"(the first-two rule's window), budget {st['budget']}. Official 2-attempt scoring; `*_top1`: one attempt. "
             "`pool_oracle` and `budget_oracle` choose with the answer key: upper bounds, not methods.", "",
             "| split | tasks | shipped (first two) | vote | learned ranker | pool oracle | first two, whole budget as window | budget oracle | "
             "shipped top1 | vote top1 | learned top1 |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, key in (("training, 5-fold CV" if st["folds"] == 5 else f"training, {st['folds']}-fold CV", "training_cv"), ("evaluation (trained on all training)", "evaluation")):
        r = out.get(key)
        if r:
            lines.append(f"| {name} | {r['n']} | {r['shipped']} | {r['vote']} | {r['learned']} | {r['pool_oracle']} | {r['full_window_shipped']} | "
                         f"{r['budget_oracle']} | {r['shipped_top1']} | {r['vote_top1']} | {r['learned_top1']} |")
    for key in ("training_cv", "evaluation"):
        r = out.get(key)
        if r:
            lv, vv = r["learned_vs_shipped"], r["vote_vs_shipped"]
            lines.append(f"\n{key}: learned vs shipped gained {lv['gained'] or 'none'}, lost {lv['lost'] or 'none'}; "
                         f"vote vs shipped gained {vv['gained'] or 'none'}, lost {vv['lost'] or 'none'}.")
    lines += ["", f"Ranker fit on all training rows: {out['fit']}. {out['load']} when the replay ran."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
