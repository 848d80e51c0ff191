"""mkdocs hook: links from a page to repository files outside ``docs/`` (``../benchmarks/...``).

Mechanism pages link their recorded benchmark reports and figures
(``../benchmarks/results/x.md``, ``.png``). Those files are added to the site under ``repo/``
(Markdown reports become pages) and the links rewritten to them, so ``mkdocs build --strict``
keeps checking that every linked file exists instead of rejecting links outside ``docs/``.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

LINK = re.compile(r"(\]\()((?:\.\./)+[^)\s#]+)")
_targets: dict[str, Path] = {}


def _resolve(page_src: str, link: str, docs: Path, repo: Path) -> str | None:
    """The repository-relative path of ``link`` seen from page ``page_src``, if it leaves docs/."""
    target = (docs / posixpath.dirname(page_src) / link).resolve()
    try:
        rel = target.relative_to(repo)
    except ValueError:
        return None
    if rel.parts and rel.parts[0] == docs.name:
        return None
    return rel.as_posix() if target.is_file() else None


def on_files(files: Any, config: Any) -> Any:  # noqa: ANN401 - mkdocs hook signature
    from mkdocs.structure.files import File

    docs = Path(config["docs_dir"]).resolve()
    repo = docs.parent
    _targets.clear()
    for f in list(files):
        if not f.src_uri.endswith(".md") or f.abs_src_path is None:
            continue
        text = Path(f.abs_src_path).read_text(encoding="utf-8")
        for _, link in LINK.findall(text):
            rel = _resolve(f.src_uri, link, docs, repo)
            if rel and rel not in _targets:
                _targets[rel] = repo / rel
                files.append(File.generated(config, f"repo/{rel}", abs_src_path=str(repo / rel)))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:  # noqa: ANN401
    docs = Path(config["docs_dir"]).resolve()
    repo = docs.parent
    depth = posixpath.dirname(page.file.src_uri)

    def sub(m: re.Match[str]) -> str:
        rel = _resolve(page.file.src_uri, m.group(2), docs, repo)
        if rel is None:
            return m.group(0)
        return m.group(1) + posixpath.relpath(f"repo/{rel}", depth or ".")

    return LINK.sub(sub, markdown)
