"""ALFWorld playbook agent: does the memory it learns from its own games make it cheaper and better?

LLM-free. The playbook agent (``agentmem/evals/alfworld/playbook.py``) plays with the shipped
skills' scripts; its only choices informed by memory are where to search, where to find the
lamp and which appliance to use. Protocol:

1. **Learn once** on the 200 training games (``valid_train_200``), one after another, 50
   steps each, memory ``updating`` through the reflective controller (write gate
   ``train_labels``). The home is copied after 25, 50, 100 and 200 games (the learning-curve
   checkpoints): one incremental run 0 -> 25 -> 50 -> 100 -> 200, never retrained from scratch.
2. **Evaluate frozen** on the 134 unseen games with empty memory (checkpoint 0) and with each
   checkpoint's copy, 50 steps each, in ``--workers`` processes started once (forked after the
   imports) that each own a fixed share of the unseen games. A checkpoint is evaluated as soon as
   its copy exists, beside the training that goes on; each worker translates a game's PDDL and
   parses its grammar once for all checkpoints (:mod:`agentmem.evals.alfworld.fastgame`).
3. **Budgets**: the agent never reads its budget and the memory is frozen during evaluation, so
   a game played under budget 15 or 20 is exactly the first 15 or 20 steps of the same game
   under budget 50: won under any budget ``>= k`` when won in ``k`` steps, lost under a smaller
   one. The 20- and 15-step results are read off the 50-step run. ``--verify-budget N`` (default
   24) replays N unseen games for real at each smaller budget, with empty and with the final
   memory, and reports how many agree with the read-off (``tests/test_alfworld_playbook.py``
   checks the transcripts are prefixes on real games).

The work folder (homes, checkpoints) is on ``/dev/shm`` when it exists: the controller's
atomic writes ``fsync`` every file, which on a busy disk costs wall time, not CPU.

Reported: success and mean steps per won game per budget and checkpoint, per task type,
paired gained/lost games (learned vs empty), training success and what was written (concepts,
behaviors, retired items), wall time, CPU seconds, game-steps per second and machine load.
``--seeds 0,1`` repeats learning with the training order shuffled by each seed (seed 0 keeps
the sorted order); the games themselves are deterministic.

    python benchmarks/alfworld_playbook_bench.py                       # full protocol
    python benchmarks/alfworld_playbook_bench.py --train-limit 25 --eval-limit 20 --checkpoints 0,25   # quick look

Writes ``benchmarks/results/alfworld_playbook.{json,md}`` (a ``--tag`` is appended to the name).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _settings(home: Path) -> Any:
    from agentmem.settings import Settings

    return Settings.load(home)


def play_games(home: str | None, games: list[Any], max_steps: int, mode: str, split: str, keep: bool = False) -> list[dict[str, Any]]:
    """Play ``games`` with the playbook agent (memory from ``home`` in ``mode``; None = no memory).

    ``keep`` adds what learning needs (task, recalled context, trajectory, outcome) to each row."""
    from agentmem.evals.alfworld.env import AlfworldEnv
    from agentmem.evals.alfworld.fastgame import OnceTranslatedGame
    from agentmem.evals.alfworld.playbook import PlaybookAgent
    from agentmem.evals.alfworld.playbook_memory import PlaybookMemory

    memory = PlaybookMemory.open(_settings(Path(home)), mode=mode, split=split) if home else None
    agent = PlaybookAgent(memory, update_memory=mode == "updating")
    env = AlfworldEnv(games, lambda: OnceTranslatedGame(expert=False), max_steps=max_steps)
    out = []
    try:
        for g in games:
            t0 = time.perf_counter()
            res = agent.run(env, g.id, run_id=f"{split}-{g.id}")
            row = {"game_id": g.id, "task_type": g.task_type, "won": res.won, "steps": res.steps, "seconds": round(time.perf_counter() - t0, 3), "memory_ids": res.memory_ids}
            if keep:
                assert agent.last_task is not None and agent.last_context is not None and agent.last_outcome is not None
                row["learn"] = {"task": agent.last_task.model_dump(mode="json"), "context": agent.last_context.model_dump(mode="json"), "trajectory": res.trajectory,
                                "outcome": agent.last_outcome.model_dump(mode="json")}
            if memory is not None and mode == "updating" and memory.last_report is not None and memory.last_report.apply is not None:
                rep = memory.last_report.apply
                row["applied"] = len(getattr(rep, "applied", []) or [])
                row["refused"] = len(getattr(rep, "refused", []) or [])
            out.append(row)
    finally:
        env.close()
    return out


def learn_batched(home: str, games: list[Any], workers: int, batch: int) -> list[dict[str, Any]]:
    """Training in batches: the games of a batch are played in parallel with the memory as it was
    at the batch start, then the controller learns from them one by one, in order (batch 1 = each
    game learns from every game before it)."""
    from agentmem.environment import TaskSpec
    from agentmem.evals.alfworld.playbook_memory import PlaybookMemory
    from agentmem.hooks import RecallContext
    from agentmem.types import Outcome

    memory = PlaybookMemory.open(_settings(Path(home)), mode="updating", split="train")
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(workers) as ex:
        for i in range(0, len(games), batch):
            part = games[i : i + batch]
            played = list(ex.map(play_games, [home] * len(part), [[g] for g in part], [50] * len(part), ["frozen"] * len(part), ["train"] * len(part), [True] * len(part)))
            for [row] in played:
                lr = row.pop("learn")
                memory.after_task(TaskSpec.model_validate(lr["task"]), RecallContext.model_validate(lr["context"]), lr["trajectory"], Outcome.model_validate(lr["outcome"]), f"train-{row['game_id']}")
                rep = memory.last_report.apply if memory.last_report is not None else None
                row["applied"], row["refused"] = (len(rep.applied), len(rep.refused)) if rep is not None else (0, 0)
                rows.append(row)
    return rows


def _chunks(items: list[Any], n: int) -> list[list[Any]]:
    return [items[i::n] for i in range(n) if items[i::n]]


def evaluate(home: str | None, games: list[Any], max_steps: int, workers: int) -> list[dict[str, Any]]:
    if workers <= 1:
        return play_games(home, games, max_steps, "frozen", "unseen")
    with ProcessPoolExecutor(workers) as ex:
        parts = list(ex.map(play_games, [home] * workers, _chunks(games, workers), [max_steps] * workers, ["frozen"] * workers, ["unseen"] * workers))
    order = {g.id: i for i, g in enumerate(games)}
    return sorted([r for p in parts for r in p], key=lambda r: order[r["game_id"]])


def _eval_worker(games: list[Any], jobs: Any, results: Any) -> None:
    """An evaluation process: it owns a fixed share of the unseen games and plays them for each
    ``(checkpoint, home, budget, limit)`` job it is sent (None ends it), so each game's PDDL is
    translated and its grammar parsed once per process, not once per checkpoint (:mod:`~agentmem.evals.alfworld.fastgame`)."""
    cpu0 = time.process_time()
    while True:
        job = jobs.get()
        if job is None:
            results.put(("done", None, None, time.process_time() - cpu0))
            return
        ckpt, home, budget, limit = job
        t = time.process_time()
        rows = play_games(home, games[:limit] if limit else games, budget, "frozen", "unseen")
        results.put((ckpt, budget, rows, time.process_time() - t))


class EvalPool:
    """``workers`` processes, each with a fixed share of the unseen games (see :func:`_eval_worker`);
    a checkpoint is submitted as soon as its home exists, so evaluation runs beside training."""

    def __init__(self, games: list[Any], workers: int) -> None:
        import multiprocessing as mp

        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        self.shares = _chunks(games, max(1, workers))
        self.order = {g.id: i for i, g in enumerate(games)}
        self.results = ctx.Queue()
        self.queues = [ctx.Queue() for _ in self.shares]
        self.procs = [ctx.Process(target=_eval_worker, args=(share, q, self.results), daemon=True) for share, q in zip(self.shares, self.queues)]
        for proc in self.procs:
            proc.start()
        self.pending: dict[tuple[Any, int], int] = {}
        self.rows: dict[tuple[Any, int], list[dict[str, Any]]] = {}
        self.cpu: dict[tuple[Any, int], float] = {}
        self.worker_cpu = 0.0

    def submit(self, ckpt: Any, home: str | None, budget: int = 50, per_worker: int = 0) -> None:
        """Play (each worker's share of) the unseen games with ``home``'s memory, frozen; ``per_worker``
        > 0 plays only that many of each share (a check subset)."""
        key = (ckpt, budget)
        self.pending[key] = len(self.queues)
        self.rows.setdefault(key, [])
        self.cpu.setdefault(key, 0.0)
        for q in self.queues:
            q.put((ckpt, home, budget, per_worker))

    def collect(self) -> dict[tuple[Any, int], list[dict[str, Any]]]:
        """Wait for every submitted job, then stop the workers; ``{(checkpoint, budget): rows in game order}``."""
        while any(self.pending.values()):
            ckpt, budget, rows, cpu = self.results.get()
            self.rows[(ckpt, budget)] += rows
            self.cpu[(ckpt, budget)] += cpu
            self.pending[(ckpt, budget)] -= 1
            if not self.pending[(ckpt, budget)]:
                print(f"  checkpoint {ckpt}: {sum(r['won'] for r in self.rows[(ckpt, budget)])}/{len(self.rows[(ckpt, budget)])} won at {budget} steps ({self.cpu[(ckpt, budget)]:.0f} CPU-s)", flush=True)
        for q in self.queues:
            q.put(None)
        for _ in self.queues:
            _, _, _, cpu = self.results.get()
            self.worker_cpu += cpu
        for proc in self.procs:
            proc.join()
        return {k: sorted(v, key=lambda r: self.order[r["game_id"]]) for k, v in self.rows.items()}


def at_budget(rows: list[dict[str, Any]], budget: int) -> list[dict[str, Any]]:
    return [{**r, "won": bool(r["won"] and r["steps"] <= budget)} for r in rows]


def score(rows: list[dict[str, Any]]) -> dict[str, Any]:
    from agentmem.evals.alfworld.data import TASK_TYPE_ORDER

    won = [r for r in rows if r["won"]]
    by_type = {}
    for tt in TASK_TYPE_ORDER:
        rs = [r for r in rows if r["task_type"] == tt]
        if rs:
            w = [r for r in rs if r["won"]]
            by_type[tt] = {"n": len(rs), "won": len(w), "success": len(w) / len(rs), "mean_steps_won": (sum(r["steps"] for r in w) / len(w)) if w else None}
    return {"n": len(rows), "won": len(won), "success": len(won) / len(rows) if rows else 0.0,
            "mean_steps_won": (sum(r["steps"] for r in won) / len(won)) if won else None, "by_type": by_type}


def paired(base: list[dict[str, Any]], new: list[dict[str, Any]]) -> dict[str, list[str]]:
    b = {r["game_id"]: r["won"] for r in base}
    return {"gained": [r["game_id"] for r in new if r["won"] and not b[r["game_id"]]], "lost": [r["game_id"] for r in new if not r["won"] and b[r["game_id"]]]}


def memory_inventory(home: Path) -> dict[str, Any]:
    from agentmem.evals.alfworld.playbook_memory import PlaybookMemory

    mem = PlaybookMemory.open(_settings(home), mode="frozen")
    concepts = mem.concepts.all_concepts()
    behaviors = mem.behaviors.all() if mem.behaviors is not None else []
    return {"concepts": len(concepts), "concepts_retired": sorted(c.name for c in concepts if c.state.value != "active"),
            "behaviors": sorted(b.name for b in behaviors), "where_concepts": sum(c.name.startswith("alfworld-where-") for c in concepts)}


def run_seed(seed: int, train: list[Any], unseen: list[Any], args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Learn once (0 -> 25 -> 50 -> ... games, the home copied at each checkpoint) while worker
    processes evaluate each checkpoint's copy, frozen, as soon as it exists."""
    order = list(train)
    if seed:
        random.Random(seed).shuffle(order)
    home = work / f"seed{seed}" / "home"
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    checkpoints = sorted(set(args.checkpoints))
    ckpt_homes: dict[int, str | None] = {0: None} if 0 in checkpoints else {}
    last = max(checkpoints)
    check = max(0, -(-args.verify_budget // max(1, args.workers)))  # games per worker replayed at the smaller budgets
    pool = EvalPool(unseen, args.workers)
    t0 = time.perf_counter()

    def submit(c: int, h: str | None) -> None:
        pool.submit(c, h, 50)
        if check and c in (0, last):
            for b in args.budgets:
                if b < 50:
                    pool.submit(c, h, b, check)

    if 0 in checkpoints:
        submit(0, None)
    train_rows: list[dict[str, Any]] = []
    cpu_train = time.process_time()
    done = 0
    for c in [c for c in checkpoints if c > 0]:
        batch = order[done:c]
        if batch:
            train_rows += play_games(str(home), batch, 50, "updating", "train") if args.train_batch <= 1 else learn_batched(str(home), batch, args.workers, args.train_batch)
            done = c
        dest = work / f"seed{seed}" / f"ckpt{c}"
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(home, dest)
        ckpt_homes[c] = str(dest)
        submit(c, str(dest))
        print(f"  seed {seed}: learned from {done} training games ({sum(r['won'] for r in train_rows)} won) in {time.perf_counter() - t0:.0f}s", flush=True)
    learn_s, learn_cpu = time.perf_counter() - t0, time.process_time() - cpu_train
    played = pool.collect()
    eval_s = time.perf_counter() - t0
    evals = {c: rows for (c, b), rows in played.items() if b == 50}
    print(f"  seed {seed}: curve " + json.dumps({c: [sum(r['won'] and r['steps'] <= b for r in rows) for b in args.budgets] + [round(sum(r['steps'] for r in rows if r['won']) / max(1, sum(r['won'] for r in rows)), 2)] for c, rows in sorted(evals.items())}), flush=True)
    out: dict[str, Any] = {
        "seed": seed,
        "train": {"games": len(train_rows), **score(train_rows), "applied_edits": sum(r.get("applied", 0) for r in train_rows), "refused_edits": sum(r.get("refused", 0) for r in train_rows)},
        "memory": memory_inventory(Path(str(ckpt_homes[last]))) if ckpt_homes.get(last) else {},
        "curve": {}, "budgets": {}, "learn_seconds": round(learn_s, 1), "learn_cpu_seconds": round(learn_cpu, 1), "eval_seconds": round(eval_s, 1),
        "eval_cpu_seconds": {f"{c}@{b}": round(v, 1) for (c, b), v in sorted(pool.cpu.items())}, "eval_worker_cpu_seconds": round(pool.worker_cpu, 1),
        "steps_played": sum(r["steps"] for r in train_rows) + sum(r["steps"] for rows in played.values() for r in rows),
        "games_played": len(train_rows) + sum(len(rows) for rows in played.values()),
    }
    for c, rows in sorted(evals.items()):
        out["curve"][str(c)] = {str(b): score(at_budget(rows, b)) for b in args.budgets}
    if 0 in evals and last > 0:
        for b in args.budgets:
            e, l = at_budget(evals[0], b), at_budget(evals[last], b)
            se, sl = score(e), score(l)
            fewer = (1 - sl["mean_steps_won"] / se["mean_steps_won"]) if se["mean_steps_won"] and sl["mean_steps_won"] else None
            out["budgets"][str(b)] = {"empty": se, "learned": sl, "points": 100 * (sl["success"] - se["success"]), "fewer_steps_per_win": fewer, **paired(e, l)}
    out["rows"] = {str(c): rows for c, rows in sorted(evals.items())}
    out["train_rows"] = train_rows
    out["online"] = online_curve(train_rows)
    checks = []
    for (c, b), real in sorted(played.items()):
        if b == 50:
            continue
        full = {r["game_id"]: r for r in evals[c]}
        read = at_budget([full[r["game_id"]] for r in real], b)
        same = [a["won"] == r["won"] and (not a["won"] or a["steps"] == r["steps"]) for a, r in zip(read, real)]
        checks.append({"checkpoint": c, "budget": b, "games": len(real), "agree": sum(same), "disagree": [r["game_id"] for r, ok in zip(real, same) if not ok]})
    if checks:
        out["budget_check"] = checks
    return out


def markdown(report: dict[str, Any]) -> str:
    from agentmem.evals.alfworld.data import TASK_TYPE_ORDER

    L = [f"# ALFWorld playbook agent: empty vs learned memory ({report['config']['eval_games']} unseen games)", ""]
    for s in report["seeds"]:
        L.append(f"## Seed {s['seed']} (training order {'sorted' if s['seed'] == 0 else 'shuffled'}; learning after every {report['config']['train_batch']} game(s))")
        L.append("")
        L.append(f"Training: {s['train']['won']}/{s['train']['games']} won, {s['train']['applied_edits']} edits applied, {s['train']['refused_edits']} refused; memory: {s['memory'].get('where_concepts', 0)} object-location concepts, "
                 f"{len(s['memory'].get('behaviors', []))} behaviors, retired: {', '.join(s['memory'].get('concepts_retired', [])) or 'none'}.")
        L.append("")
        L.append("| budget | empty: won | empty: steps/win | learned: won | learned: steps/win | points | fewer steps/win | gained | lost |")
        L.append("|---|---|---|---|---|---|---|---|---|")
        for b, r in s["budgets"].items():
            e, l = r["empty"], r["learned"]
            f = "-" if r["fewer_steps_per_win"] is None else f"{100 * r['fewer_steps_per_win']:.0f}%"
            L.append(f"| {b} | {e['won']}/{e['n']} ({100 * e['success']:.1f}%) | {e['mean_steps_won'] or 0:.1f} | {l['won']}/{l['n']} ({100 * l['success']:.1f}%) | {l['mean_steps_won'] or 0:.1f} | {r['points']:+.1f} | {f} | {len(r['gained'])} | {len(r['lost'])} |")
        L += ["", "Learning curve (unseen games won; mean steps per won game):", "", "| training games | " + " | ".join(f"{b} steps" for b in report["config"]["budgets"]) + " |", "|---" * (1 + len(report["config"]["budgets"])) + "|"]
        for c, per in s["curve"].items():
            L.append(f"| {c} | " + " | ".join(f"{per[str(b)]['won']} ({per[str(b)]['mean_steps_won'] or 0:.1f})" for b in report["config"]["budgets"]) + " |")
        if s["budgets"]:
            b = str(report["config"]["budgets"][0])
            L += ["", f"Per task type at {b} steps (won/games, steps per win: empty -> learned):", "", "| task type | empty | learned |", "|---|---|---|"]
            for tt in TASK_TYPE_ORDER:
                e, l = s["budgets"][b]["empty"]["by_type"].get(tt), s["budgets"][b]["learned"]["by_type"].get(tt)
                if e and l:
                    L.append(f"| {tt} | {e['won']}/{e['n']} ({e['mean_steps_won'] or 0:.1f}) | {l['won']}/{l['n']} ({l['mean_steps_won'] or 0:.1f}) |")
            for bb, r in s["budgets"].items():
                if r["gained"] or r["lost"]:
                    L.append("")
                    L.append(f"At {bb} steps, gained: {', '.join(g.split('/')[1] for g in r['gained'][:12])}{' ...' if len(r['gained']) > 12 else ''}; lost: {', '.join(g.split('/')[1] for g in r['lost']) or 'none'}.")
        if s.get("online"):
            L += ["", "Online learning curve (training games in the order played, each with the memory of the games before it):", "", "| training games | won | steps per won game |", "|---|---|---|"]
            for w in s["online"]:
                L.append(f"| {w['games']} | {w['won']}/{w['n']} | {w['mean_steps_won'] or 0:.1f} |")
        checks = s.get("budget_check") or []
        if isinstance(checks, dict):  # reports before the check covered several checkpoints and budgets
            checks = [{"checkpoint": "last", **checks}]
        if checks:
            L += ["", "Budget read-off check (games replayed for real at the smaller budget vs the 50-step run cut at that budget: same won flag and, when won, same steps): "
                  + "; ".join(f"checkpoint {c['checkpoint']} at {c['budget']} steps: {c['agree']}/{c['games']} agree" for c in checks) + "."]
        L.append("")
    t = report["timing"]
    if t.get("concurrent"):
        L.append("The runs merged here ran at the same time on the shared machine: wall and CPU times are summed over them.")
    L.append(f"Timing: wall {t['wall_s']:.0f} s, CPU {t['cpu_s']:.0f} s (this process and its workers), {t['games']} games and {t['steps']} game steps ({t['steps_per_s']:.1f} steps/s of wall time), "
             f"{report['config']['workers']} worker processes; load average {t['load_before']} before, {t['load_after']} after, on {os.cpu_count()} CPUs shared with other jobs.")
    L.append("")
    L.append(f"Command: `{report['config']['command']}`")
    return "\n".join(L) + "\n"


def merge(paths: list[str], budgets: list[int]) -> dict[str, Any]:
    """One report from runs that evaluated different checkpoints of the same protocol (the
    empty-memory run and a learned-memory run, played separately to share a busy machine)."""
    reports = [json.loads(Path(p).read_text(encoding="utf-8")) for p in paths]
    evals: dict[int, list[dict[str, Any]]] = {}
    train_rows: list[dict[str, Any]] = []
    seed: dict[str, Any] = {"seed": 0, "memory": {}, "learn_seconds": 0.0, "eval_seconds": 0.0, "steps_played": 0, "games_played": 0}
    for rep in reports:
        s = rep["seeds"][0]
        for c, rows in s["rows"].items():
            evals[int(c)] = rows
        if s["train_rows"]:
            train_rows, seed["memory"], seed["train"] = s["train_rows"], s["memory"], s["train"]
        for k in ("learn_seconds", "eval_seconds", "steps_played", "games_played"):
            seed[k] += s[k]
    last = max(evals)
    seed.setdefault("train", {"games": 0, "won": 0, "applied_edits": 0, "refused_edits": 0})
    seed["curve"] = {str(c): {str(b): score(at_budget(rows, b)) for b in budgets} for c, rows in sorted(evals.items())}
    seed["budgets"] = {}
    for b in budgets:
        e, l = at_budget(evals[0], b), at_budget(evals[last], b)
        se, sl = score(e), score(l)
        fewer = (1 - sl["mean_steps_won"] / se["mean_steps_won"]) if se["mean_steps_won"] and sl["mean_steps_won"] else None
        seed["budgets"][str(b)] = {"empty": se, "learned": sl, "points": 100 * (sl["success"] - se["success"]), "fewer_steps_per_win": fewer, **paired(e, l)}
    seed["rows"], seed["train_rows"] = {str(c): r for c, r in evals.items()}, train_rows
    seed["online"] = online_curve(train_rows)
    timing = {"wall_s": sum(r["timing"]["wall_s"] for r in reports), "cpu_s": sum(r["timing"]["cpu_s"] for r in reports), "games": sum(r["timing"]["games"] for r in reports),
              "steps": sum(r["timing"]["steps"] for r in reports), "load_before": reports[0]["timing"]["load_before"], "load_after": reports[-1]["timing"]["load_after"],
              "concurrent": True}
    timing["steps_per_s"] = timing["steps"] / max(r["timing"]["wall_s"] for r in reports)
    cfg = dict(reports[-1]["config"])
    cfg["checkpoints"] = sorted(evals)
    cfg["command"] = " ; ".join(r["config"]["command"] for r in reports) + " ; python benchmarks/alfworld_playbook_bench.py --merge " + " ".join(paths)
    return {"config": cfg, "seeds": [seed], "timing": timing}


def online_curve(train_rows: list[dict[str, Any]], window: int = 25) -> list[dict[str, Any]]:
    """Training games in windows of ``window``, in the order played (each game played with the memory
    of the games before it): success and mean steps per won game, an online learning curve."""
    out = []
    for i in range(0, len(train_rows), window):
        rows = train_rows[i : i + window]
        won = [r for r in rows if r["won"]]
        out.append({"games": f"{i + 1}-{i + len(rows)}", "won": len(won), "n": len(rows), "mean_steps_won": (sum(r["steps"] for r in won) / len(won)) if won else None})
    return out


def main(argv: list[str] | None = None) -> int:
    from agentmem.evals.alfworld.data import prepare_alfworld_data
    from agentmem.evals.alfworld.demo import spread
    from agentmem.evals.alfworld.env import collect_games
    from agentmem.fileio import atomic_write_json, atomic_write_text

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train-limit", type=int, default=200, help="training games (spread evenly over the 200 when fewer)")
    ap.add_argument("--eval-limit", type=int, default=None, help="unseen games (spread evenly over the 134 when fewer)")
    ap.add_argument("--checkpoints", default="0,25,50,100,200", help="training games after which the memory is evaluated (0 = empty memory)")
    ap.add_argument("--budgets", default="50,20,15")
    ap.add_argument("--seeds", default="0", help="comma-separated; seed 0 keeps the sorted training order, others shuffle it")
    ap.add_argument("--workers", type=int, default=2, help="processes for the frozen evaluations (and batched training)")
    ap.add_argument("--train-batch", type=int, default=1, help="training games played in parallel with the same memory before learning from them (1 = strictly one after another)")
    ap.add_argument("--verify-budget", type=int, default=24, help="replay N unseen games (spread over the workers' shares) at each budget under 50 for real, with empty and with the final memory, and check them against the read-off (0 = off)")
    ap.add_argument("--empty-from", default=None, help="take the empty-memory (checkpoint 0) rows from this earlier report's JSON instead of replaying them")
    ap.add_argument("--merge", nargs="+", default=None, help="build the report from these earlier JSON reports (one with checkpoint 0) instead of playing")
    ap.add_argument("--data", default=None)
    ap.add_argument("--work", default=None, help="work folder (default: a temporary folder under /dev/shm when it exists, removed at the end)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--tag", default="")
    command = "python benchmarks/alfworld_playbook_bench.py " + " ".join(argv if argv is not None else sys.argv[1:])
    args = ap.parse_args(argv)
    args.budgets = sorted({int(b) for b in args.budgets.split(",")}, reverse=True)
    if args.merge:
        report = merge(args.merge, args.budgets)
        name = "alfworld_playbook" + (f"_{args.tag}" if args.tag else "")
        atomic_write_json(Path(args.out) / f"{name}.json", report)
        md = markdown(report)
        atomic_write_text(Path(args.out) / f"{name}.md", md)
        print(md)
        return 0
    args.checkpoints = sorted({min(int(c), args.train_limit) for c in args.checkpoints.split(",")})
    load_before = [round(x, 2) for x in os.getloadavg()]
    t0 = time.perf_counter()
    train = spread(collect_games(str(prepare_alfworld_data("train", args.data)), "train", data_root=args.data), args.train_limit)
    unseen = spread(collect_games(str(prepare_alfworld_data("unseen", args.data)), "unseen", data_root=args.data), args.eval_limit)
    shm = Path("/dev/shm")
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="alf-playbook-", dir=str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None))
    seeds = []
    try:
        for seed in [int(s) for s in args.seeds.split(",")]:
            print(f"seed {seed}: {len(train)} training games, {len(unseen)} unseen games", flush=True)
            seeds.append(run_seed(seed, train, unseen, args, work))
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    wall = time.perf_counter() - t0
    ru_self, ru_kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = ru_self.ru_utime + ru_self.ru_stime + ru_kids.ru_utime + ru_kids.ru_stime
    steps = sum(s["steps_played"] for s in seeds)
    report = {
        "config": {"train_games": len(train), "eval_games": len(unseen), "checkpoints": args.checkpoints, "budgets": args.budgets, "workers": args.workers, "train_batch": args.train_batch,
                   "command": command, "work": str(work)},
        "seeds": seeds,
        "timing": {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "games": sum(s["games_played"] for s in seeds), "steps": steps, "steps_per_s": steps / wall if wall else 0.0,
                   "load_before": load_before, "load_after": [round(x, 2) for x in os.getloadavg()]},
    }
    name = "alfworld_playbook" + (f"_{args.tag}" if args.tag else "")
    out = Path(args.out)
    atomic_write_json(out / f"{name}.json", report)
    md = markdown(report)
    atomic_write_text(out / f"{name}.md", md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
