"""Generate the CLI reference (Markdown) from the CLI itself, so the docs never drift.

``python -m agentmem.cli.docgen [OUT.md]`` prints or writes it; the docs site builds it through
an mkdocs hook (``docs/hooks/cli_reference.py``).
"""

from __future__ import annotations

import sys
from typing import Any


def _walk(cmd: Any, path: list[str], out: list[str]) -> None:
    """Render one command (and, for groups, its subcommands) as Markdown.

    Typer vendors its own click, so this duck-types commands and parameters instead of
    importing click classes.
    """
    name = " ".join(path)
    level = min(len(path) + 1, 4)
    out.append(f"{'#' * level} `{name}`\n")
    help_text = (cmd.help or "").strip()
    if help_text:
        out.append(help_text.split("\f")[0].strip() + "\n")
    params = [p for p in cmd.params if p.name != "help"]
    if params:
        out.append("| argument / option | default | help |\n|---|---|---|")
        for p in params:
            decl = ", ".join(p.opts) if p.param_type_name == "option" else (p.metavar or p.name or "").upper()
            default = "" if p.default is None or callable(p.default) else f"`{p.default}`"
            helptext = (getattr(p, "help", "") or "").replace("|", "\\|").replace("\n", " ")
            out.append(f"| `{decl}` | {default} | {helptext} |")
        out.append("")
    subcommands = getattr(cmd, "commands", None) or {}
    for sub_name in sorted(subcommands):
        sub = subcommands[sub_name]
        if not getattr(sub, "hidden", False):
            _walk(sub, path + [sub_name], out)


def cli_reference() -> str:
    import typer.main

    from . import app

    root = typer.main.get_command(app)
    out = ["# CLI reference", "", "Generated from the `agentmem` command itself (`python -m agentmem.cli.docgen`).", ""]
    _walk(root, ["agentmem"], out)
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    text = cli_reference()
    if len(sys.argv) > 1:
        from ..fileio import atomic_write_text

        atomic_write_text(sys.argv[1], text)
    else:
        sys.stdout.write(text)
