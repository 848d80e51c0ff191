"""A short ALFWorld learning run for ``agentmem demo``: a few training games, then a few unseen ones.

:func:`playbook_demo` plays ``train_limit`` training games (spread over the id-sorted pool, so every task type appears) with the playbook agent, learning
through the controller into ``<out>/home`` (inspect it with ``AGENTMEM_HOME=<out>/home
agentmem memory list``), then plays ``eval_limit`` unseen games with empty memory and with the
learned memory (frozen). Returns a summary dict; ``{"skipped": why}`` when the alfworld extra
or the data is missing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

INSTALL = "pip install 'agentmem[alfworld]' (alfworld 0.4.2; builds from source, needs gcc, g++, cmake)"


def spread(games: list[Any], n: int | None) -> list[Any]:
    """``n`` games evenly spaced over the id-sorted list (ids are grouped by task type and room, so
    a spread sample keeps every type in proportion); all games when ``n`` is None or too large."""
    if n is None or n >= len(games):
        return list(games)
    return [games[(i * len(games)) // n] for i in range(n)]


def playbook_demo(out: str | Path, *, train_limit: int = 8, eval_limit: int = 6, data_root: str | None = None) -> dict[str, Any]:
    try:
        import alfworld  # noqa: F401
    except ImportError:
        return {"skipped": f"the alfworld extra is not installed: {INSTALL}"}
    from agentmem.errors import ConfigError
    from agentmem.evals.alfworld.data import prepare_alfworld_data
    from agentmem.evals.alfworld.env import AlfworldEnv, collect_games
    from agentmem.evals.alfworld.fastgame import OnceTranslatedGame
    from agentmem.evals.alfworld.playbook import PlaybookAgent
    from agentmem.evals.alfworld.playbook_memory import PlaybookMemory
    from agentmem.settings import Settings

    try:
        train = spread(collect_games(str(prepare_alfworld_data("train", data_root)), "train", data_root=data_root), train_limit)
        unseen = spread(collect_games(str(prepare_alfworld_data("unseen", data_root)), "unseen", data_root=data_root), eval_limit)
    except ConfigError as exc:  # data not found
        return {"skipped": f"ALFWorld data not available ({exc})"}
    t0 = time.time()
    home = Path(out) / "home"
    settings = Settings.load(home)
    env = AlfworldEnv(train + unseen, lambda: OnceTranslatedGame(expert=False), max_steps=50)
    try:
        learner = PlaybookAgent(PlaybookMemory.open(settings, mode="updating", split="train"), update_memory=True)
        trained = [learner.run(env, g.id, run_id=f"demo-train-{i}") for i, g in enumerate(train)]
        empty = [PlaybookAgent().run(env, g.id) for g in unseen]
        learned = [PlaybookAgent(PlaybookMemory.open(settings, mode="frozen")).run(env, g.id) for g in unseen]
    finally:
        env.close()

    def stats(rs: list[Any]) -> dict[str, Any]:
        won = [r for r in rs if r.won]
        return {"games": len(rs), "won": len(won), "mean_steps_won": round(sum(r.steps for r in won) / len(won), 1) if won else None}

    return {"home": str(home), "train": stats(trained), "empty": stats(empty), "learned": stats(learned), "seconds": round(time.time() - t0, 1),
            "games": [{"game": r.game_id, "empty_steps": e.steps if e.won else None, "learned_steps": r.steps if r.won else None} for e, r in zip(empty, learned)]}
