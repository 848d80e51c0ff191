"""ALFWorld expert-policy check: alfworld's handcoded expert plays every game through agentmem's adapter.

LLM-free. It proves the observation/action plumbing of :class:`agentmem.evals.alfworld.env.AlfworldEnv`
(reset, admissible commands, expert plan, step limit, won flag) on the real games, and gives
the ceiling a memory-equipped agent is measured against.

    python benchmarks/alfworld_expert.py                     # 134 unseen games, 50-step limit
    python benchmarks/alfworld_expert.py --split train       # the 200-game pool
    python benchmarks/alfworld_expert.py --max-steps 150     # alfworld's own expert budget
    python benchmarks/alfworld_expert.py --split valid_seen --data ~/alfworld_data   # any folder in ALFWorld's layout, or a tarball

Prints the per-task-type table and writes ``benchmarks/results/alfworld_expert[_<split>].{json,md}``.
The same run through the evaluation framework is ``agentmem eval alfworld --agent expert``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from agentmem.evals.alfworld.agents import ExpertAgent
    from agentmem.evals.alfworld.data import SPLIT_ALIASES, SPLIT_SPECS, GameResult, summarise_games, summary_markdown
    from agentmem.evals.alfworld.env import AlfworldEnv, TextWorldGame, collect_games
    from agentmem.evals.alfworld.sources import resolve_alfworld_data
    from agentmem.fileio import atomic_write_json, atomic_write_text

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="valid_unseen", choices=sorted(SPLIT_SPECS) + sorted(SPLIT_ALIASES))
    ap.add_argument("--max-steps", type=int, default=50)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--data", default=None, help="a folder in ALFWorld's layout, a tarball, or a folder holding alfworld/*.tar.gz (default $ALFWORLD_DATA, else the bundled archive under $AGENTMEM_DATA or ../shared/data)")
    ap.add_argument("--cache", default=None, help="where the games are unpacked (default <AGENTMEM_HOME>/cache/alfworld)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--work", default=None, help="folder of per-game JSONL records (resumable; default <cache>/expert_runs/<split>-<max_steps>)")
    ap.add_argument("--reverse", action="store_true", help="play games from the last one: a second process started with --reverse meets the first in the middle")
    ap.add_argument("--offset", type=int, default=0, help="start at game N (wrapping around): more processes can share the games")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    src = resolve_alfworld_data(args.split, args.data, cache_dir=args.cache)
    args.split = src.split
    data_dir = src.data_dir
    games = collect_games(str(data_dir), src.split, games_dir=str(src.games_dir))
    if args.limit:
        games = games[: args.limit]
    print(f"data: {src.info.describe()}" + "".join(f"\n  note: {n}" for n in src.info.notes))
    work = Path(args.work) if args.work else data_dir.parent / "expert_runs" / f"{args.split}-{src.info.sha256[:12]}-{args.max_steps}"
    work.mkdir(parents=True, exist_ok=True)
    part = work / f"part-{'rev' if args.reverse else 'fwd'}{args.offset}-{os.getpid()}.jsonl"

    def done() -> dict[str, dict]:
        out: dict[str, dict] = {}
        for f in sorted(work.glob("part-*.jsonl")):
            for line in f.read_text(encoding="utf-8").splitlines():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a torn last line: that game is replayed
                out[rec["game_id"]] = rec
        return out

    env = AlfworldEnv(games, TextWorldGame(expert=True), max_steps=args.max_steps)
    order = list(reversed(games)) if args.reverse else list(games)
    order = order[args.offset % len(order):] + order[: args.offset % len(order)] if order else order
    try:
        for n, g in enumerate(order, 1):
            if g.id in done():
                continue
            t = time.perf_counter()
            try:
                res = ExpertAgent().run(env, g.id)
                rec = {"game_id": g.id, "task_type": g.task_type, "won": res.won, "steps": res.steps, "inadmissible": res.inadmissible_actions, "seconds": round(time.perf_counter() - t, 2)}
            except Exception as exc:  # a game the engine cannot play is a recorded failure, not a crash
                rec = {"game_id": g.id, "task_type": g.task_type, "won": False, "steps": 0, "error": f"{type(exc).__name__}: {exc}"}
            with part.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(rec) + "\n")
            print(f"[{n}/{len(games)}] {'WON ' if rec['won'] else 'LOST'} {rec['steps']:3d} steps  {g.id}", flush=True)
    finally:
        env.close()
    records = done()
    missing = [g.id for g in games if g.id not in records]
    if missing:
        print(f"{len(missing)} games still being played by another process; the last one to finish writes the report")
        return 0
    episodes = [records[g.id] for g in games]
    results = [GameResult(game_id=e["game_id"], task_type=e["task_type"], won=e["won"], steps=e["steps"], error=e.get("error")) for e in episodes]
    seconds = time.perf_counter() - t0
    summary = summarise_games(results)
    title = f"ALFWorld handcoded expert through the agentmem adapter ({args.split}, {len(games)} games, step limit {args.max_steps}; data sha256 {src.info.sha256[:12]})"
    md = summary_markdown(summary, title=title)
    cpu = sum(e.get("seconds", 0.0) for e in episodes)
    md += (
        f"\nCommand: `python benchmarks/alfworld_expert.py --split {args.split} --max-steps {args.max_steps}`"
        f"{' --limit ' + str(args.limit) if args.limit else ''} (optionally a second process with `--reverse`). "
        f"Sum of per-game wall times {cpu:.0f} s on a heavily shared 2-core CPU (load average about 11: noisy), "
        f"Python {platform.python_version()}. The expert is alfworld 0.4.2's handcoded expert, bridged to these files' "
        f"`put X in/on Y` command (`agentmem/evals/alfworld/expert.py`), with per-game seeded tie-breaks.\n"
    )
    print(md)
    out = Path(args.out)
    stem = "alfworld_expert" if args.split == "valid_unseen" and src.info.known and args.max_steps == 50 and not args.limit else f"alfworld_expert_{args.split}_{args.max_steps}" + (f"_n{args.limit}" if args.limit else "")
    atomic_write_json(out / f"{stem}.json", {"split": args.split, "data": src.info.model_dump(mode="json"), "max_steps": args.max_steps, "games": len(games), "wall_seconds_last_process": round(seconds, 1), "sum_game_seconds": round(cpu, 1), "summary": summary.model_dump(mode="json"), "episodes": episodes})
    atomic_write_text(out / f"{stem}.md", md)
    print(f"wrote {out / (stem + '.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
