"""``agentmem skills train-router`` and ``agentmem skills route``: the outcome-trained skill router.

:func:`register` adds these commands to the existing ``skills`` Typer group when another module
registered one already, and otherwise registers a ``skills`` group of its own. List this module
*after* the skill library's CLI module in ``_GROUP_MODULES`` so that both sets of commands end
up in one group.
"""

from __future__ import annotations

from typing import Any

import typer

from ._common import console, emit_json, guarded, state


def _skill_cards(settings: Any) -> list[Any]:
    """Every active skill the router may pick, as the skill library loads them.

    :class:`~agentmem.stores.skill_library.SkillLibrary` reads the shipped library,
    ``settings.skill_paths`` and the home's skills (a user skill shadows a shipped one of the
    same name). Skills that break the format are skipped and reported on stderr, never fatal.
    """
    from ..learning.skill_cards import as_card
    from ..stores.skill_library import SkillLibrary

    lib = SkillLibrary(settings)
    errors = [p for p in lib.problems if p.severity == "error"]
    if errors:
        typer.echo(f"{len(errors)} skill problem(s) skipped (run `agentmem skills lint`):", err=True)
        for p in errors[:10]:
            typer.echo(f"  {p}", err=True)
    return [as_card(s) for s in lib.skills()]


def train_router(
    ctx: typer.Context,
    epochs: int = typer.Option(None, "--epochs", help="Training epochs (default from RouterConfig)."),
    seed: int = typer.Option(None, "--seed", help="Random seed (default: settings.seed)."),
    pairwise_weight: float = typer.Option(None, "--pairwise-weight", help="Weight of the within-task pairwise term."),
) -> None:
    """Train the skill router's scoring head from the outcome log; save the checkpoint under the home."""
    from ..errors import ConfigError
    from ..learning.skill_router import RouterConfig, SkillRouter

    st = state(ctx)
    settings = st.settings().ensure_home()
    overrides = {k: v for k, v in {"epochs": epochs, "pairwise_weight": pairwise_weight}.items() if v is not None}
    cfg = RouterConfig(seed=settings.seed if seed is None else seed, **overrides)
    cards = _skill_cards(settings)
    if not cards:
        raise ConfigError("skills train-router: no skills found (shipped, home or skill_paths)")
    router = SkillRouter.from_settings(settings, cards, config=cfg)
    if st.json:
        report = router.train()
    else:
        from rich.progress import Progress

        with Progress(console=console(), transient=True) as bar:
            task = bar.add_task("training skill router", total=cfg.epochs)
            report = router.train(progress=lambda e, n, loss: bar.update(task, completed=e, description=f"training skill router (loss {loss:.3f})"))
    if st.json:
        emit_json(report.model_dump(mode="json"))
    else:
        typer.echo(
            f"trained on {report.rows} outcome rows ({report.pairs} within-task pairs, {report.skipped_rows} rows skipped) "
            f"over {report.skills} skills; loss {report.first_loss:.3f} -> {report.final_loss:.3f}; "
            f"train accuracy {report.train_accuracy:.2f}; checkpoint {report.checkpoint}"
        )


def route(
    ctx: typer.Context,
    task: str = typer.Argument(..., help="Task text (the current task state)."),
    k: int = typer.Option(3, "--k", "-k", help="How many skills to show."),
) -> None:
    """Show the skills the router picks for TASK (learned rerank, or hybrid when untrained)."""
    st = state(ctx)
    settings = st.settings()
    from ..learning.skill_router import SkillRouter

    router = SkillRouter.from_settings(settings, _skill_cards(settings))
    routed = router.route(task, k=k)
    if st.json:
        emit_json([r.model_dump(mode="json") for r in routed])
        return
    if router.trained:
        report = (router.meta or {}).get("report") or {}
        typer.echo(f"learned router: trained on {report.get('rows', '?')} outcome rows over {report.get('skills', '?')} skills "
                   f"(checkpoint {router.checkpoint_dir}); ranked by P(success | task, skill). The controller picks the first, "
                   f"or explores another of the top {k} 10% of the time.")
    else:
        typer.echo("no trained router checkpoint: hybrid ranking (BM25 + embeddings of name | description). "
                   "Judged runs log the skills they used; `agentmem skills train-router` learns from them.")
    for i, r in enumerate(routed):
        typer.echo(f"{'->' if i == 0 else '  '} {r.name:40} {r.score:.3f}  ({r.source}, hybrid rank {r.hybrid_rank})")


def _find_group(app: typer.Typer, name: str) -> typer.Typer | None:
    for info in app.registered_groups:
        group_name = info.name or (info.typer_instance.info.name if info.typer_instance else None)
        if group_name == name and info.typer_instance is not None:
            return info.typer_instance
    return None


def register(app: typer.Typer) -> None:
    """Add ``train-router`` and ``route`` to the ``skills`` group (creating it if absent)."""
    group = _find_group(app, "skills")
    if group is None:
        group = typer.Typer(help="Skill library commands.", no_args_is_help=True)
        app.add_typer(group, name="skills")
    group.command("train-router")(guarded(train_router))
    group.command("route")(guarded(route))
