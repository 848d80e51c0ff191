"""ALFWorld expert-policy check: alfworld's handcoded expert plays every game through agentmem's adapter.

LLM-free. It proves the observation/action plumbing of :class:`agentmem.envs.alfworld_env.AlfworldEnv`
(reset, admissible commands, expert plan, step limit, won flag) on the real games, and gives
the ceiling a memory-equipped agent is measured against.

    python benchmarks/alfworld_expert.py                     # 134 unseen games, 50-step limit
    python benchmarks/alfworld_expert.py --split train       # the 200-game pool
    python benchmarks/alfworld_expert.py --max-steps 150     # alfworld's own expert budget

Prints the per-task-type table and writes ``benchmarks/results/alfworld_expert[_<split>].{json,md}``.
The same run through the evaluation framework is ``agentmem eval alfworld --agent expert``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from agentmem.envs.alfworld_agent import ExpertAgent
    from agentmem.envs.alfworld_data import GameResult, prepare_alfworld_data, summarise_games, summary_markdown
    from agentmem.envs.alfworld_env import AlfworldEnv, TextWorldGame, collect_games
    from agentmem.fileio import atomic_write_json, atomic_write_text

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="unseen", choices=["unseen", "train"])
    ap.add_argument("--max-steps", type=int, default=50)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--data", default=None, help="folder holding alfworld/*.tar.gz (default $AGENTMEM_DATA or ../shared/data)")
    ap.add_argument("--cache", default=None, help="where the games are unpacked (default <AGENTMEM_HOME>/cache/alfworld)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    data_dir = prepare_alfworld_data(args.split, args.data, args.cache)
    games = collect_games(str(data_dir), args.split, data_root=args.data)
    if args.limit:
        games = games[: args.limit]
    env = AlfworldEnv(games, TextWorldGame(expert=True), max_steps=args.max_steps)
    results: list[GameResult] = []
    episodes = []
    try:
        for n, g in enumerate(games, 1):
            t = time.perf_counter()
            try:
                res = ExpertAgent().run(env, g.id)
                results.append(res.to_game_result())
                episodes.append({"game_id": g.id, "task_type": g.task_type, "won": res.won, "steps": res.steps, "inadmissible": res.inadmissible_actions, "seconds": round(time.perf_counter() - t, 2)})
            except Exception as exc:  # a game the engine cannot play is a recorded failure, not a crash
                results.append(GameResult(game_id=g.id, task_type=g.task_type, won=False, error=f"{type(exc).__name__}: {exc}"))
                episodes.append({"game_id": g.id, "task_type": g.task_type, "won": False, "error": str(exc)})
            won = sum(r.won for r in results)
            print(f"[{n}/{len(games)}] {'WON ' if results[-1].won else 'LOST'} {results[-1].steps:3d} steps  {g.id}   (running {won}/{n})", flush=True)
    finally:
        env.close()
    seconds = time.perf_counter() - t0
    summary = summarise_games(results)
    title = f"ALFWorld handcoded expert through the agentmem adapter ({args.split}, {len(games)} games, step limit {args.max_steps})"
    md = summary_markdown(summary, title=title)
    md += (
        f"\nCommand: `python benchmarks/alfworld_expert.py --split {args.split} --max-steps {args.max_steps}`"
        f"{' --limit ' + str(args.limit) if args.limit else ''}. Wall time {seconds:.0f} s on a shared 2-core CPU "
        f"(noisy: other jobs were running), Python {platform.python_version()}.\n"
    )
    print(md)
    out = Path(args.out)
    stem = "alfworld_expert" if args.split == "unseen" and args.max_steps == 50 and not args.limit else f"alfworld_expert_{args.split}_{args.max_steps}" + (f"_n{args.limit}" if args.limit else "")
    atomic_write_json(out / f"{stem}.json", {"split": args.split, "max_steps": args.max_steps, "games": len(games), "seconds": round(seconds, 1), "summary": summary.model_dump(mode="json"), "episodes": episodes})
    atomic_write_text(out / f"{stem}.md", md)
    print(f"wrote {out / (stem + '.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
