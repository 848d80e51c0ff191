"""What the controller's credit reconcile costs on a home with thousands of audit rows.

LLM-free. Builds a home whose audit log holds ``--credited`` credited ``update_utility`` edits applied
through ``ReflectiveController.apply`` (in batches of ``--batch``, one run each) and ``--other`` rows of other edits,
then times (median of ``--repeat``):

* ``settled``: ``reconcile_credits()`` when every credit is recorded (the marker is current: one
  max-id read, no scan, no lock) -- what every controller open pays;
* ``open``: constructing the controller (reads the whole outcome log for the utility table; includes the above);
* ``full_scan``: ``reconcile_credits()`` with the marker reset to 0 (the first open of a home made before
  the marker existed: every credited audit row checked against the outcome log by edit id);
* ``one_missing``: one credit's outcome row deleted (as a writer killed before recording it leaves it)
  and the marker set back to before it: the scan, the home lock, provenance and one row.

    python benchmarks/credit_reconcile_cost.py                 # 3000 credited + 3000 other audit rows
    python benchmarks/credit_reconcile_cost.py --credited 300 --other 300 --repeat 3

Prints the figures and writes ``benchmarks/results/credit_reconcile_cost.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MARK = "credits_reconciled_audit_id"


def _ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - t0))
    return round(statistics.median(times), 3)


def main(argv: list[str] | None = None) -> int:
    from agentmem.fileio import atomic_write_json, atomic_write_text
    from agentmem.learning.audit import AuditEntry
    from agentmem.learning.controller import ControllerConfig, ReflectiveController
    from agentmem.learning.edits import UpdateUtility
    from agentmem.learning.recordstore import record_stores, seed_record

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--credited", type=int, default=3000)
    ap.add_argument("--other", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=20, help="Edits per apply (at most EditLimits.max_edits_per_run, 20 by default).")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "credit_reconcile_cost"))
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)

        def open_ctl() -> ReflectiveController:
            state, registry = record_stores(home, ["notes"])
            return ReflectiveController(state, home, registry=registry, config=ControllerConfig())

        state, _ = record_stores(home, ["notes"])
        for i in range(20):
            seed_record(state.stores["notes"], f"n{i}", f"note {i}", f"note number {i}")
        ctl = open_ctl()
        t0 = time.perf_counter()
        done = 0
        while done < args.credited:
            n = min(args.batch, args.credited - done)
            rep = ctl.apply([UpdateUtility(store="notes", item_id=f"n{(done + j) % 20}", reward=1.0, success=True, credit=0.1, credit_method="marginal") for j in range(n)], run_id=f"r{done}")
            assert len(rep.applied) == n, rep.render()
            done += n
        ctl.engine.audit.record(AuditEntry(edit_id=f"o{i}", status="applied", kind="update_utility", store="notes", item_id="n0", mode="updating", payload={"credit": 0.1}) for i in range(args.other))
        build_s = time.perf_counter() - t0
        audit_rows = ctl.engine.audit.max_id()
        outcome_rows = len(ctl.outcomes.rows())

        ctl = open_ctl()
        settled = _ms(ctl.reconcile_credits, args.repeat)
        open_ms = _ms(open_ctl, args.repeat)

        def full() -> None:
            ctl.outcomes.set_mark(MARK, 0, only_up=False)
            assert ctl.reconcile_credits() == 0

        full_scan = _ms(full, args.repeat)

        con = sqlite3.connect(home / "outcomes.sqlite")
        victim = con.execute("SELECT id, extra FROM outcomes ORDER BY id DESC LIMIT 1").fetchone()
        edit_id = json.loads(victim[1])["edit_id"]
        con.close()
        audit_id = next(i for i, a in ctl.engine.audit.credited_manual_since(0, audit_rows) if a.edit_id == edit_id)

        def one_missing() -> None:
            c = sqlite3.connect(home / "outcomes.sqlite")
            with c:
                c.execute("DELETE FROM outcomes WHERE json_extract(extra, '$.edit_id') = ?", (edit_id,))
            c.close()
            ctl.outcomes.set_mark(MARK, audit_id - 1, only_up=False)
            t0 = time.perf_counter()
            assert ctl.reconcile_credits() == 1
            times.append(1000 * (time.perf_counter() - t0))

        times: list[float] = []
        for _ in range(args.repeat):
            one_missing()
        missing_ms = round(statistics.median(times), 3)

    load = os.getloadavg()
    res = {"credited_edits": args.credited, "other_audit_rows": args.other, "audit_rows": audit_rows, "outcome_rows": outcome_rows,
           "build_s": round(build_s, 2), "settled_ms": settled, "open_ms": open_ms, "full_scan_ms": full_scan, "one_missing_ms": missing_ms,
           "repeat": args.repeat, "loadavg": [round(x, 2) for x in load]}
    md = ("# Credit reconcile cost\n\n"
          f"Home: {audit_rows} audit rows ({args.credited} credited manual edits, {args.other} other), {outcome_rows} outcome rows; "
          f"median of {args.repeat}; load average {res['loadavg']}.\n\n"
          "| case | ms |\n|---|---|\n"
          f"| settled reconcile (every open) | {settled} |\n| controller open (whole) | {open_ms} |\n"
          f"| full scan (marker at 0) | {full_scan} |\n| one missing credit recorded | {missing_ms} |\n")
    print(md)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out.with_suffix(".json"), res)
    atomic_write_text(out.with_suffix(".md"), md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
