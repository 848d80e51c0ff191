"""mkdocs hook: drop ``nav`` entries whose page is not in ``docs/`` (yet).

Mechanism pages arrive with their branches; the nav in ``mkdocs.yml`` lists them all once, and
this hook keeps the strict build green until each lands. Generated pages (``cli.md``) count as
present. ``tests/test_docs_build.py`` checks the other direction: every page is in the nav.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

GENERATED = {"cli.md", "api.md"}


def _keep(entry: Any, docs: Path) -> Any:
    if isinstance(entry, str):
        return entry if entry.startswith(("http://", "https://")) or entry in GENERATED or (docs / entry).is_file() else None
    if isinstance(entry, dict):
        out = {}
        for title, value in entry.items():
            if isinstance(value, list):
                kept = [k for k in (_keep(v, docs) for v in value) if k is not None]
                if kept:
                    out[title] = kept
            else:
                kept_one = _keep(value, docs)
                if kept_one is not None:
                    out[title] = kept_one
        return out or None
    return entry


def on_config(config: Any) -> Any:  # noqa: ANN401 - mkdocs hook signature
    docs = Path(config["docs_dir"])
    if config.get("nav"):
        config["nav"] = [k for k in (_keep(e, docs) for e in config["nav"]) if k is not None]
    return config
