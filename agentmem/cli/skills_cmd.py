"""``agentmem skills list|show|lint|add|history|rollback|run|search|state|remove``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from ._common import emit_json, fail, guarded, state

if TYPE_CHECKING:
    from ..stores.skill_library import SkillLibrary

skills_app = typer.Typer(help="The skill library: Agent Skills folders (shipped, extra paths, and yours under the home).", no_args_is_help=True)


def _library(ctx: typer.Context) -> "SkillLibrary":
    from ..stores.skill_library import SkillLibrary

    return SkillLibrary(state(ctx).settings())


def _want_json(ctx: typer.Context, local: bool) -> bool:
    return local or state(ctx).json


@skills_app.command("list")
@guarded
def list_(
    ctx: typer.Context,
    json_output: bool = typer.Option(False, "--json", help="Print JSON."),
    all_: bool = typer.Option(False, "--all", help="Include quarantined and retired skills."),
    group: Optional[str] = typer.Option(None, "--group", help="Only skills in this group (e.g. alfworld)."),
    kind: Optional[str] = typer.Option(None, "--kind", help="knowledge or playbook."),
) -> None:
    """List the skills that loaded (user skills shadow shipped ones of the same name)."""
    from ..stores.skill_library import skill_to_json

    lib = _library(ctx)
    skills = lib.skills(include_inactive=all_, kind=kind, group=group)
    if _want_json(ctx, json_output):
        emit_json({"skills": [skill_to_json(lib, s) for s in skills], "problems": [p.model_dump() for p in lib.problems]})
        return
    width = max([len(s.name) for s in skills] + [4])
    typer.echo(f"{'name':{width}}  {'kind':9}  {'v':>3}  {'origin':7}  {'group':9}  {'state':11}  {'uses':>4}  description")
    for s in skills:
        st = lib.stats_store.get(s.name, s.version)
        desc = s.description if len(s.description) <= 70 else s.description[:67] + "..."
        typer.echo(f"{s.name:{width}}  {s.kind.value:9}  {s.version:>3}  {s.origin:7}  {(s.group or '-'):9}  {lib.state(s.name).value:11}  {st.uses:>4}  {desc}")
    errors = [p for p in lib.problems if p.severity == "error"]
    if errors:
        typer.echo(f"{len(errors)} skill problem(s) (run `agentmem skills lint`):", err=True)
        for p in errors[:10]:
            typer.echo(f"  {p}", err=True)


@skills_app.command("show")
@guarded
def show(ctx: typer.Context, name: str = typer.Argument(..., help="Skill name."), json_output: bool = typer.Option(False, "--json")) -> None:
    """Print a skill: where it is, its kind, statistics, files, and its SKILL.md."""
    from ..stores.skill_library import skill_to_json

    lib = _library(ctx)
    skill = lib.get(name)
    if _want_json(ctx, json_output):
        data = skill_to_json(lib, skill)
        data["body"] = skill.body
        data["history"] = [v.model_dump() for v in lib.history(name)]
        emit_json(data)
        return
    st = lib.stats_store.get(skill.name, skill.version)
    typer.echo(f"# {skill.name}  ({skill.kind.value}, version {skill.version}, {skill.origin}, {lib.state(name).value})")
    typer.echo(f"path: {skill.path}")
    if skill.entry:
        typer.echo(f"entry: {skill.entry}")
    if skill.files:
        typer.echo(f"files: {', '.join(skill.files)}")
    for shadow in lib.shadowed.get(name, []):
        typer.echo(f"shadows: {shadow.path}")
    typer.echo(f"uses: {st.uses}  successes: {st.successes}  mean reward: {st.mean_reward:.3f}  history: {len(lib.history(name))} version(s)")
    typer.echo("")
    typer.echo(skill.to_markdown().decode("utf-8").rstrip())


@skills_app.command("lint")
@guarded
def lint(
    ctx: typer.Context,
    paths: Optional[list[Path]] = typer.Argument(None, help="Skill folders, SKILL.md files or library trees (default: the whole library)."),
    test: bool = typer.Option(False, "--test", help="Also run playbook test scripts (scripts/test_*.py) in the sandbox."),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Check skills against the Agent Skills format: one line per problem (`path: field: message`);
    exits 1 when any skill is invalid (warnings do not fail)."""
    from ..stores.skill_library import lint_paths

    settings = state(ctx).settings()
    if paths:
        roots = list(paths)
    else:
        lib = _library(ctx)
        roots = [root for _origin, root in lib.sources() if root.exists()]
    sandbox = None
    if test:
        from ..sandbox import SubprocessSandbox

        sandbox = SubprocessSandbox.from_settings(settings)
    problems = lint_paths(roots, sandbox=sandbox, run_tests=test, allow_empty=not paths)
    errors = [p for p in problems if p.severity == "error"]
    if _want_json(ctx, json_output):
        emit_json({"ok": not errors, "problems": [p.model_dump() for p in problems], "paths": [str(r) for r in roots]})
    else:
        for p in problems:
            typer.echo(str(p))
        typer.echo(f"{len(errors)} error(s), {len(problems) - len(errors)} warning(s) in {', '.join(str(r) for r in roots)}", err=True)
    if errors:
        raise typer.Exit(1)


@skills_app.command("add")
@guarded
def add(ctx: typer.Context, path: Path = typer.Argument(..., help="A skill folder (or its SKILL.md) to import."), replace: bool = typer.Option(False, "--replace", help="Import over an existing skill of the same name (the old one goes to history).")) -> None:
    """Import a skill folder from elsewhere into your library (validated, atomic, bytes unchanged)."""
    lib = _library(ctx)
    skill = lib.add(path, replace=replace)
    if state(ctx).json:
        emit_json({"added": skill.name, "path": str(skill.path), "version": skill.version})
    else:
        typer.echo(f"added {skill.name} (version {skill.version}) at {skill.path}")


@skills_app.command("history")
@guarded
def history(ctx: typer.Context, name: str = typer.Argument(...), json_output: bool = typer.Option(False, "--json")) -> None:
    """Previous versions of a skill (oldest first) and the current one."""
    import datetime as dt

    lib = _library(ctx)
    versions = lib.history(name)
    current = lib.find(name)
    if _want_json(ctx, json_output):
        emit_json({"name": name, "current": current.version if current else None, "versions": [v.model_dump() for v in versions]})
        return
    if not versions:
        typer.echo(f"{name}: no previous versions" + ("" if current else " (and no such skill)"))
    for v in versions:
        when = dt.datetime.fromtimestamp(v.saved_at, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        typer.echo(f"snapshot {v.seq}: version {v.version} ({v.origin}) saved {when}Z  {v.note}")
    if current:
        typer.echo(f"current: version {current.version} ({current.origin}) at {current.path}")


@skills_app.command("rollback")
@guarded
def rollback(ctx: typer.Context, name: str = typer.Argument(...), version: Optional[int] = typer.Argument(None, help="Version to restore (default: the previous one).")) -> None:
    """Restore a previous version byte for byte (the current one is kept in history)."""
    lib = _library(ctx)
    skill = lib.rollback(name, version)
    if state(ctx).json:
        emit_json({"name": name, "version": skill.version, "path": str(skill.path)})
    else:
        typer.echo(f"{name}: restored version {skill.version} at {skill.path}")


@skills_app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@guarded
def run(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Playbook skill to run."),
    args: Optional[list[str]] = typer.Argument(None, help="Arguments for the script (after --)."),
    stdin_file: Optional[Path] = typer.Option(None, "--stdin", help="File fed to the script's standard input ('-' = this process's)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="Wall-clock limit in seconds (default: settings.sandbox.timeout_s)."),
) -> None:
    """Run a playbook's entry script in the sandbox; exits with the script's exit code."""
    import sys

    from ..sandbox import SandboxLimits

    lib = _library(ctx)
    s = state(ctx).settings().sandbox
    limits = SandboxLimits(timeout_s=timeout or s.timeout_s, memory_mb=s.memory_mb, max_output_bytes=s.max_output_bytes)
    data = None
    if stdin_file is not None:
        data = sys.stdin.read() if str(stdin_file) == "-" else stdin_file.read_text(encoding="utf-8")
    result = lib.run(name, list(args or []) + list(ctx.args), stdin=data, limits=limits)
    if state(ctx).json:
        emit_json(result.model_dump())
    else:
        sys.stdout.write(result.stdout)
        if result.stderr:
            sys.stderr.write(result.stderr)
        if not result.ok or result.stdout_truncated or result.stderr_truncated:
            typer.echo(f"[{name}: {result.describe()}]", err=True)
    if not result.ok:
        raise typer.Exit(result.exit_code if result.exit_code and result.exit_code > 0 else 1)


@skills_app.command("search")
@guarded
def search(ctx: typer.Context, query: str = typer.Argument(...), k: int = typer.Option(5, "-k"), mode: str = typer.Option("hybrid", "--mode", help="hybrid, bm25 or dense.")) -> None:
    """Candidates for a task by hybrid search over `name | description`."""
    lib = _library(ctx)
    hits = lib.candidates(query, k=k, mode=mode)
    if state(ctx).json:
        emit_json([{"name": s.name, "score": score, "kind": s.kind.value, "description": s.description} for s, score in hits])
        return
    for s, score in hits:
        typer.echo(f"{score:.3f}  {s.name:32} {s.description[:90]}")


@skills_app.command("state")
@guarded
def set_state(ctx: typer.Context, name: str = typer.Argument(...), new_state: str = typer.Argument(..., help="active, quarantined or retired.")) -> None:
    """Move a skill through its lifecycle (kept in the sidecar; files are not touched).

    A hand edit through the reflective controller: ``active`` is an ``activate_item`` edit,
    ``retired`` a ``retire_item``, ``quarantined`` a ``quarantine_item`` (trust shipped, proposer
    ``user``), journaled and audited (``agentmem memory audit``)."""
    from ..learning.controller import ControllerConfig, ReflectiveController
    from ..learning.edits import ActivateItem, QuarantineItem, RetireItem
    from ..learning.gate import MemoryMode
    from ..learning.wiring import open_memory
    from ..types import Lifecycle, Trust

    try:
        value = Lifecycle(new_state)
    except ValueError:
        fail(f"state {new_state!r}: expected active, quarantined or retired")
        return
    settings = state(ctx).settings().ensure_home()
    mem, registry = open_memory(settings, plugins=[("skills", "agentmem.learning.store_appliers:open_skills")])
    rec = mem.stores["skills"].get_record(name)
    if rec is None:
        fail(f"skill {name!r} not found (see `agentmem skills list --all`)")
        return
    if rec.state != value:
        kind = {Lifecycle.active: ActivateItem, Lifecycle.retired: RetireItem, Lifecycle.quarantined: QuarantineItem}[value]
        edit = kind(store="skills", item_id=name, trust=Trust.shipped, proposer="user", reason=f"`agentmem skills state {name} {value.value}` (by hand)")
        ctl = ReflectiveController(mem, settings.home, registry=registry, config=ControllerConfig(mode=MemoryMode.frozen))
        rep = ctl.apply([edit])
        if rep.refused:
            fail(f"{name}: {rep.refused[0].reason}", 1)
            return
    typer.echo(f"{name}: {value.value}")


@skills_app.command("remove")
@guarded
def remove(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Delete one of your skills (kept in history: `skills rollback NAME` brings it back)."""
    _library(ctx).remove(name)
    typer.echo(f"{name}: removed (in history)")


def register(app: typer.Typer) -> None:
    app.add_typer(skills_app, name="skills")
