"""LLM-free learning demonstration of the reflective controller.

A simulated task suite where success depends on having the right items in context and each
item's usefulness is hidden: every task family has candidate items with equally plausible,
template-generated descriptions; one is a key item (+0.45 success probability), one mildly
helpful (+0.15), two useless (0) and two harmful (-0.30); items of another family distract
(-0.05). Recall is lexical (token overlap), so which candidates reach the ``context_k`` slots is
unrelated to their usefulness. The controller (mode ``updating``, write gate ``train_labels``)
runs a stream of training tasks; after each round the memory is evaluated on held-out test
tasks without writing (pure exploitation, no exploration bonus).

Conditions (each a fresh home per seed):

* ``none``: no memory.  ``frozen``: lexical recall, read only (the baseline to beat).
* ``usage``: outcome-weighted usage credit + utility routing + retirement.
* ``marginal``: MemSifter-style marginal credit from a re-scoring callable + routing + retirement.
  The re-scorer is a **noisy re-run**: each call samples one success/failure outcome (Bernoulli)
  of the task with the given context, exactly what re-running the task would return, and costs
  one re-run (``marginal_budget = k + 1`` re-runs per training task, reported as ``reruns``). It
  never returns the simulator's success probability (that would be the answer key).
* ``marginal-retire-only``: marginal credit and retirement, no utility routing (ablation).

Everything goes through the real controller: typed ``update_utility`` / ``retire_item`` edits,
admission gate, write-ahead journal, audit log, provenance graph, outcome log. The stores are
:class:`agentmem.learning.recordstore.RecordStore` (the controller's file-backed
implementation of the ``Store`` protocol), one per store name in ``--stores``.

Run::

    python benchmarks/learning_demo.py --seeds 5 --rounds 8
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agentmem.environment import TaskSpec  # noqa: E402
from agentmem.learning.controller import ControllerConfig, ReflectiveController  # noqa: E402
from agentmem.learning.credit import CreditConfig  # noqa: E402
from agentmem.learning.recordstore import record_stores, seed_record  # noqa: E402
from agentmem.types import Outcome  # noqa: E402

FAMILIES = {
    "units": "length mass convert metre gram scale measure quantity rod weight",
    "dates": "calendar weekday month leap year date schedule deadline duration day",
    "sorting": "order sort rank list ascending descending compare sequence numbers largest",
    "geometry": "angle triangle area perimeter circle radius polygon shape side square",
    "parsing": "text parse token field column record csv delimiter extract line",
    "cooking": "heat pan recipe boil oven ingredient temperature mix bake stove",
    "routing": "map path route shortest node edge distance travel city road",
    "finance": "interest loan rate balance payment budget percent account deposit price",
}
GENERIC = "carefully check verify first then always before after step answer result task approach consider".split()
EFFECTS = [0.45, 0.15, 0.0, 0.0, -0.30, -0.30]
BASE = 0.35
DISTRACT = -0.05


class Suite:
    """The hidden ground truth: items, their effects, and task generation."""

    def __init__(self, seed: int, stores: list[str]) -> None:
        self.rng = random.Random(seed)
        self.items: list[dict[str, Any]] = []
        for fam, words in FAMILIES.items():
            vocab = words.split()
            effects = EFFECTS[:]
            self.rng.shuffle(effects)
            for j, eff in enumerate(effects):
                kw = self.rng.sample(vocab, self.rng.randint(2, 5))
                text = f"When working on {' '.join(kw)}: {' '.join(self.rng.sample(GENERIC, 4))}."
                self.items.append({"id": f"{fam}-{j}", "family": fam, "effect": eff, "title": f"{fam.title()} tip {j}", "text": text, "store": stores[(len(self.items)) % len(stores)]})
        self.effect = {it["id"]: it for it in self.items}

    def task(self, i: int, split: str) -> TaskSpec:
        fam = self.rng.choice(list(FAMILIES))
        kw = self.rng.sample(FAMILIES[fam].split(), 4)
        filler = self.rng.sample(GENERIC, 2)
        return TaskSpec(id=f"{split}-{i}", instruction=f"Solve this {' '.join(kw)} problem, {' '.join(filler)}.", topic=fam, metadata={"split": split})

    def prob(self, task: TaskSpec, ids: list[str]) -> float:
        p = BASE
        for iid in ids:
            it = self.effect[iid]
            p += it["effect"] if it["family"] == task.topic else DISTRACT
        return max(0.02, min(0.98, p))


CONDITIONS = ["none", "frozen", "usage", "marginal", "marginal-retire-only"]


def run_condition(cond: str, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    stores = args.stores.split(",")
    suite = Suite(seed, stores)
    rng = random.Random(seed * 1000 + 7)
    test_tasks = [suite.task(i, "test") for i in range(args.test_tasks)]
    with tempfile.TemporaryDirectory(prefix=f"learning-demo-{cond}-", dir=args.tmp) as tmp:
        home = Path(tmp)
        if args.backend == "behaviors":
            state, registry, id_map = _behavior_state(home, suite)
        else:
            state, registry = record_stores(home, stores)
            for it in suite.items:
                seed_record(state.stores[it["store"]], it["id"], it["title"], it["text"])
            id_map = {}
        if id_map:  # the handbook names items behavior_<...>: map them back to the suite's ids
            suite.effect.update({new: suite.effect[old] for old, new in id_map.items()})
        mode = {"none": "none", "frozen": "frozen"}.get(cond, "updating")
        cfg = ControllerConfig(
            mode=mode, write_gate="train_labels" if mode == "updating" else None, context_k=args.k,
            route_by_utility=cond not in {"marginal-retire-only"},
            candidates_per_store=args.candidates,
            credit=CreditConfig(marginal_budget=args.k + 1, retire_after=args.retire_after, retire_below=args.retire_below, explore=args.explore),
        )
        rerun_rng = random.Random(seed * 1000 + 13)
        reruns = [0]

        def noisy_rerun(task: TaskSpec, items: list[Any]) -> float:
            # one sampled outcome of re-running the task with this context: 0 or 1, like a real re-run
            reruns[0] += 1
            return float(rerun_rng.random() < suite.prob(task, [r.record.id for r in items]))

        rescore = noisy_rerun if cond.startswith("marginal") else None
        ctl = ReflectiveController(state, home, registry=registry, rescore=rescore, config=cfg)

        def evaluate() -> tuple[float, float]:
            succ, expected = 0, 0.0
            for t in test_tasks:
                ctx = ctl.before_task(t, explore=False)
                p = suite.prob(t, [r.record.id for r in ctx.items])
                expected += p
                succ += rng.random() < p
            return succ / len(test_tasks), expected / len(test_tasks)

        curve = [evaluate()]
        train_curve = []
        n = 0
        t0 = time.perf_counter()
        for _rnd in range(args.rounds):
            wins = 0
            for _ in range(args.train_tasks):
                task = suite.task(n, "train")
                n += 1
                ctx = ctl.before_task(task)
                p = suite.prob(task, [r.record.id for r in ctx.items])
                ok = rng.random() < p
                wins += ok
                ctl.after_task(task, ctx, [f"simulated episode of {task.id}"], Outcome(score=float(ok), success=ok, source="environment"), f"run-{seed}-{n}")
            train_curve.append(wins / args.train_tasks)
            curve.append(evaluate())
        elapsed = time.perf_counter() - t0
        retired = [r.id for s in state.stores.values() for r in s.records(include_inactive=True) if r.state.value == "retired"]
        harmful = {id_map.get(it["id"], it["id"]) for it in suite.items if it["effect"] < 0}
        key = {id_map.get(it["id"], it["id"]) for it in suite.items if it["effect"] == max(EFFECTS)}
        audit = ctl.engine.audit.counts()
        return {
            "condition": cond, "seed": seed,
            "test_success": [c[0] for c in curve], "test_expected": [c[1] for c in curve], "train_success": train_curve,
            "retired": len(retired), "retired_harmful": len(set(retired) & harmful), "retired_key": len(set(retired) & key),
            "audit": audit, "seconds": round(elapsed, 2), "reruns": reruns[0],
        }


def _behavior_state(home: Path, suite: Suite) -> tuple[Any, Any, dict[str, str]]:
    """The real BehaviorHandbook (hash embedder + in-memory index: LLM- and model-free) seeded with the suite's items."""
    from agentmem.learning.state import MemoryState
    from agentmem.learning.appliers import ApplierRegistry
    from agentmem.learning.store_appliers import BehaviorApplier
    from agentmem.settings import Settings
    from agentmem.stores.behaviors import Behavior, BehaviorConfig, BehaviorHandbook
    from agentmem.types import Trust

    settings = Settings.load(home=home, embedder={"backend": "hash"}, index={"backend": "memory"}).ensure_home()
    hb = BehaviorHandbook(settings, config=BehaviorConfig(merge_threshold=1.0))
    id_map = {}
    for it in suite.items:
        name = "behavior_" + it["id"].replace("-", "_")
        hb.add(Behavior(name=name, instruction=it["text"], trust=Trust.shipped))
        id_map[it["id"]] = name
    assert len(hb.all()) == len(suite.items), "seeded behaviors merged; raise merge_threshold"
    return MemoryState([hb]), ApplierRegistry().register("behaviors", BehaviorApplier()), id_map


def mean_sd(xs: list[float]) -> tuple[float, float]:
    return statistics.fmean(xs), (statistics.stdev(xs) if len(xs) > 1 else 0.0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--train-tasks", type=int, default=40, help="Training tasks per round (memory updates).")
    ap.add_argument("--test-tasks", type=int, default=200, help="Held-out tasks evaluated after each round (no writes).")
    ap.add_argument("--k", type=int, default=3, help="Items kept in context.")
    ap.add_argument("--candidates", type=int, default=8, help="Candidates recalled per store before routing.")
    ap.add_argument("--retire-after", type=int, default=4)
    ap.add_argument("--retire-below", type=float, default=-0.1)
    ap.add_argument("--explore", type=float, default=0.3)
    ap.add_argument("--stores", default="behaviors", help="Comma-separated store names the items are spread over (record backend).")
    ap.add_argument("--backend", choices=["record", "behaviors"], default="record", help="record = RecordStore(s); behaviors = the real BehaviorHandbook (hybrid BM25 + hash-embedding search, in-memory index).")
    ap.add_argument("--conditions", default=",".join(CONDITIONS))
    ap.add_argument("--tmp", default="/dev/shm" if Path("/dev/shm").is_dir() else None, help="Where the temporary homes live (tmpfs by default: the demo measures learning, not disk speed).")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    conds = args.conditions.split(",")
    results: list[dict[str, Any]] = []
    for seed in range(args.seeds):
        for cond in conds:
            r = run_condition(cond, seed, args)
            results.append(r)
            print(f"seed {seed} {cond:22s} test success {r['test_success'][0]:.3f} -> {r['test_success'][-1]:.3f}  "
                  f"(expected {r['test_expected'][0]:.3f} -> {r['test_expected'][-1]:.3f})  retired {r['retired']} (harmful {r['retired_harmful']}, key {r['retired_key']})  {r['seconds']}s", flush=True)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {}
    for cond in conds:
        rs = [r for r in results if r["condition"] == cond]
        curve = [mean_sd([r["test_success"][i] for r in rs]) for i in range(args.rounds + 1)]
        expected = [mean_sd([r["test_expected"][i] for r in rs]) for i in range(args.rounds + 1)]
        summary[cond] = {
            "test_success_curve": [round(m, 4) for m, _ in curve], "test_success_sd": [round(s, 4) for _, s in curve],
            "test_expected_curve": [round(m, 4) for m, _ in expected],
            "train_success_curve": [round(statistics.fmean(r["train_success"][i] for r in rs), 4) for i in range(args.rounds)],
            "final": curve[-1], "start": curve[0], "final_expected": expected[-1],
            "retired": mean_sd([r["retired"] for r in rs]), "retired_harmful": mean_sd([r["retired_harmful"] for r in rs]), "retired_key": mean_sd([r["retired_key"] for r in rs]),
            "seconds_per_seed": statistics.fmean(r["seconds"] for r in rs),
            "reruns_per_seed": statistics.fmean(r.get("reruns", 0) for r in rs),
        }
    payload = {"args": vars(args), "families": len(FAMILIES), "items": len(FAMILIES) * len(EFFECTS), "base": BASE, "effects": EFFECTS, "summary": summary, "runs": results}
    stem = "learning_demo" if args.backend == "record" else f"learning_demo_{args.backend}"
    (out / f"{stem}.json").write_text(json.dumps(payload, indent=2))
    png = out / f"{stem}.png"
    _plot(summary, args.rounds, png)
    md = _report(payload, args, png.name)
    (out / f"{stem}.md").write_text(md)
    print(md)
    return 0


def _plot(summary: dict[str, Any], rounds: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    xs = list(range(rounds + 1))
    for cond, s in summary.items():
        m, sd = s["test_success_curve"], s["test_success_sd"]
        ax.plot(xs, m, marker="o", label=cond)
        ax.fill_between(xs, [a - b for a, b in zip(m, sd)], [a + b for a, b in zip(m, sd)], alpha=0.12)
    ax.set_xlabel("training round (after round r)")
    ax.set_ylabel("held-out success rate")
    ax.set_title("Reflective controller: learning from outcomes (LLM-free demo)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _report(payload: dict[str, Any], args: argparse.Namespace, png: str) -> str:
    s = payload["summary"]
    lines = [
        "# Learning demonstration (LLM-free)",
        "",
        f"Command: `python benchmarks/learning_demo.py --backend {args.backend} --seeds {args.seeds} --rounds {args.rounds} --train-tasks {args.train_tasks} --test-tasks {args.test_tasks} --k {args.k} --stores {args.stores}`",
        "",
        f"{payload['families']} task families x {len(payload['effects'])} candidate items ({payload['items']} items; "
        + ("the real `BehaviorHandbook` store (hybrid BM25 + hash-embedding search, in-memory index, edits through `BehaviorApplier`)" if args.backend == "behaviors"
           else f"store(s) {args.stores}: `RecordStore`, the controller's file-backed implementation of the `Store` protocol, lexical search")
        + f"). Hidden effects per family: {payload['effects']} "
        f"on a base success probability of {payload['base']}; items of another family in context: {DISTRACT}. "
        f"Context holds k={args.k} items chosen from the candidates the store's own search recalls. Each round: {args.train_tasks} training tasks "
        f"(mode `updating`, write gate `train_labels`), then {args.test_tasks} held-out test tasks evaluated read-only without exploration. "
        f"Mean (sd) over {args.seeds} seeds; success is sampled (Bernoulli), 'expected' is the simulator's success probability of the chosen contexts "
        "(reported for reading the curves; no learner sees it). Marginal credit re-scores with noisy re-runs (one sampled outcome per call); "
        + ", ".join(f"{c}: {v['reruns_per_seed']:.0f} re-runs per seed" for c, v in payload["summary"].items() if v.get("reruns_per_seed")) + ".",
        "",
        "| condition | held-out success, round 0 | held-out success, final | expected success, final | train success, last round | items retired (harmful / key) |",
        "|---|---|---|---|---|---|",
    ]
    for cond, v in s.items():
        lines.append(
            f"| {cond} | {v['start'][0]:.3f} ({v['start'][1]:.3f}) | {v['final'][0]:.3f} ({v['final'][1]:.3f}) | {v['final_expected'][0]:.3f} ({v['final_expected'][1]:.3f}) | "
            f"{v['train_success_curve'][-1]:.3f} | {v['retired'][0]:.1f} ({v['retired_harmful'][0]:.1f} / {v['retired_key'][0]:.1f}) |"
        )
    lines += ["", "Learning curve (held-out success after each round, mean over seeds):", "", "| condition | " + " | ".join(f"r{i}" for i in range(args.rounds + 1)) + " |", "|---|" + "---|" * (args.rounds + 1)]
    for cond, v in s.items():
        lines.append(f"| {cond} | " + " | ".join(f"{x:.3f}" for x in v["test_success_curve"]) + " |")
    lines += ["", f"![learning curve]({png})", "",
              "Wall time per seed and condition (shared 2-core machine, noisy): " + ", ".join(f"{c} {v['seconds_per_seed']:.1f}s" for c, v in s.items()) + ".", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
