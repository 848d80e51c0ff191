"""The documentation site builds with ``mkdocs build --strict`` (no broken links, no missing
pages, no docstring warnings), and every page in ``docs/`` is in the nav."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


def _nav_pages(entries: list) -> set[str]:
    out: set[str] = set()
    for e in entries:
        if isinstance(e, str):
            out.add(e)
        elif isinstance(e, dict):
            for v in e.values():
                out |= _nav_pages(v) if isinstance(v, list) else {v}
    return out


def _load_mkdocs_yml() -> dict:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    return yaml.load((REPO / "mkdocs.yml").read_text(), Loader=Loader)


def test_every_page_is_in_the_nav() -> None:
    nav = _nav_pages(_load_mkdocs_yml()["nav"])
    pages = {p.relative_to(REPO / "docs").as_posix() for p in (REPO / "docs").rglob("*.md")}
    assert pages - nav == set(), "add these pages to the nav in mkdocs.yml"
    assert "cli.md" in nav and "api.md" in nav and "limitations.md" in nav


@pytest.mark.integration
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    env = {k: v for k, v in os.environ.items()}
    env["NO_MKDOCS_2_WARNING"] = "1"
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert "WARNING" not in log, log
    for page in ("index.html", "cli/index.html", "api/index.html", "mcp/index.html", "limitations/index.html"):
        assert (tmp_path / "site" / page).is_file(), page
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    assert "SkillLibrary" in api and "MemoryService" in api
