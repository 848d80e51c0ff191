"""Held-out ranking quality of the learned search prior, on training-split traces only.

Input: traces written by ``benchmarks/arc/order_headroom.py`` (every verified program of each task
in the shipped search order, with whether it was correct). Tasks are split by id into the prior's
training part and a held-out part (``--heldout``: the traces of another run, e.g. the 100 headroom
tasks; the training part excludes them). The prior (:class:`agentmem.evals.arc.prior.ArcPrior`: the
skill router over task-feature words) is trained from outcome rows of the training part: success for
the units of correct programs, failure for the other units tried. On each held-out task that has a
correct program, the script reports where the best correct unit (depth 1) or unit pair (depth 2)
sits in the enumeration order: the library's default order vs the prior's. Lower is better; the
search meets depth-1 units in this order, and depth-2 pairs in order of summed cost.

    python benchmarks/arc/prior_rank.py --traces .bench/hr_train400_6k.json --heldout .bench/hr_train100.json --prior .bench/prior_tr300
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def ranks(costed_names: list[tuple[float, str]], firsts: set[str], trace: dict) -> int | None:
    """Position of the earliest correct unit (depth 1) or pair (depth 2) in an order given by unit costs."""
    pos = {n: i for i, (_, n) in enumerate(costed_names)}
    best: int | None = None
    n_units = len(costed_names)
    pair_list = None
    for p in trace["programs"]:
        if not p["correct"]:
            continue
        names = p["names"]
        if any(n not in pos for n in names):
            continue
        if len(names) == 1:
            r = pos[names[0]]
        else:
            if pair_list is None:
                pair_list = sorted((c1 + c2, i1, i2) for i1, (c1, n1) in enumerate(costed_names) if n1 in firsts
                                   for i2, (c2, _) in enumerate(costed_names))
                pair_index = {(i1, i2): k for k, (_, i1, i2) in enumerate(pair_list)}
            r = n_units + pair_index.get((pos[names[0]], pos[names[1]]), len(pair_list))
        best = r if best is None else min(best, r)
    return best


def main(argv: list[str] | None = None) -> dict:
    from agentmem.evals.arc.data import load_arc
    from agentmem.evals.arc.library import TransformLibrary
    from agentmem.evals.arc.prior import ArcPrior, task_text
    from agentmem.evals.arc.search import CompositionSearch
    from agentmem.evals.arc.wake_sleep import _describe

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--traces", type=Path, default=None, help="Traces (order_headroom.py) of the prior's training tasks.")
    ap.add_argument("--records", type=Path, default=None,
                    help="Or: a wake round's records.jsonl over the training split (the rows the wake/sleep learner itself records).")
    ap.add_argument("--heldout", type=Path, required=True)
    ap.add_argument("--prior", type=Path, required=True, help="Folder for the prior (fresh: its outcome log is rebuilt).")
    ap.add_argument("--budget", type=int, default=3000, help="Only programs found within this many checks count as outcomes.")
    a = ap.parse_args(argv)
    traces = {t["task"]: t for t in json.loads(a.traces.read_text())} if a.traces else {}
    records = {}
    if a.records:
        for line in a.records.read_text().splitlines():
            r = json.loads(line)
            records[r["task_id"]] = r
    held = {t["task"]: t for t in json.loads(a.heldout.read_text())}
    ds = load_arc()
    by_id = {t.id: t for t in ds.training}
    lib = TransformLibrary()
    import shutil

    shutil.rmtree(a.prior, ignore_errors=True)
    prior = ArcPrior(a.prior, [(t.name, _describe(t)) for t in lib.all])
    units = [t.name for t in lib.all]
    rows = 0
    train_ids = sorted((set(traces) | set(records)) - set(held))
    for tid in train_ids:
        task = by_id[tid]
        if tid in traces:
            progs = [p for p in traces[tid]["programs"] if p["at"] <= a.budget]
            correct = {n for p in progs if p["correct"] for n in p["names"]}
            wrong = {n for p in progs if not p["correct"] for n in p["names"]}
            tried = units
        else:  # the same rows as WakeSleepLearner._record_prior
            d = records[tid]["detail"]
            pairs = list(zip(d.get("skills_used") or [], d.get("attempt_scores") or []))
            correct = {n for names, sc in pairs if sc == 1.0 for n in names}
            wrong = {n for names, sc in pairs if sc < 1.0 for n in names}
            tried = d.get("tried") or []
        rows += prior.record_outcomes("trace", tid, task_text(task.train_pairs, task.test_inputs), correct=sorted(correct), wrong=sorted(wrong), tried=tried)
    rep = prior.train()
    print(f"prior trained on {len(train_ids)} training tasks, {rows} rows: {rep.model_dump() if rep else None}")
    search = CompositionSearch(lib)
    default = [(c, u.name) for c, u in search._costs()]
    firsts = {u.name for u in search.units if u.prefixable}
    out = {"tasks": 0, "default": [], "prior": [], "better": 0, "worse": 0, "same": 0}
    spreads = []
    for tid, tr in sorted(held.items()):
        task = by_id[tid]
        scores = prior.order(task_text(task.train_pairs, task.test_inputs))
        s2 = CompositionSearch(lib, order=scores)
        pc = [(c, u.name) for c, u in s2._costs()]
        vals = sorted(scores.values())
        spreads.append(vals[-1] / max(vals[0], 1e-6))
        rd, rp = ranks(default, firsts, tr), ranks(pc, firsts, tr)
        if rd is None or rp is None:
            continue
        out["tasks"] += 1
        out["default"].append(rd)
        out["prior"].append(rp)
        out["better" if rp < rd else "worse" if rp > rd else "same"] += 1
    for k in ("default", "prior"):
        v = out[k]
        print(f"{k:>8}: mean rank {statistics.mean(v):.1f}, median {statistics.median(v)}, mean log2(1+rank) {statistics.mean(math.log2(1 + x) for x in v):.2f}, "
              f"within top-5 {sum(x < 5 for x in v)}, depth-1 part (<{len(units)}) {sum(x < len(units) for x in v)}")
    print(f"held-out tasks with a correct program: {out['tasks']}; prior better on {out['better']}, worse on {out['worse']}, same on {out['same']}; "
          f"median max/min score ratio across skills {statistics.median(spreads):.1f}")
    return out


if __name__ == "__main__":
    main()
