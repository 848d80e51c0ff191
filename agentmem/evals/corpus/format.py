"""The retrieval corpus file: documents, queries and gold document ids in one JSONL file.

One JSON object per line, each with a ``type``:

``{"type": "document", "id": "d1", "text": "...", "group": "g1", "metadata": {...}}``
    ``id`` unique within its group; ``group`` (optional, default ``"default"``) is the
    collection a query searches (a conversation, a user's memory); ``metadata`` optional
    (the proxy's features read ``speaker``, ``session``, ``index``, ``created_at``, ``has_image``).
``{"type": "query", "id": "q1", "text": "...", "gold": ["d1"], "group": "g1", "answer": "...", "category": "c"}``
    ``gold``: the relevant document ids (scored; ids naming no document of the group count
    as misses, and the report counts them); ``answer`` (optional): the reference answer the
    outcome reward scores against; ``category`` (optional): per-category tables.
    A query needs ``gold`` to be scored and ``gold`` or ``answer`` to train on.

Blank lines and lines starting with ``#`` are skipped. Every error names the file, the line and
the field. LoCoMo converts to this format with :func:`agentmem.evals.locomo.corpus.locomo_to_corpus`.

Example::

    corpus = load_corpus("my_corpus.jsonl")
    corpus.groups["default"].documents[0].text
    corpus.sha256                       # recorded in every result
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from agentmem.errors import ConfigError
from agentmem.fileio import atomic_write_text, sha256_file


class CorpusDocument(BaseModel):
    id: str = Field(min_length=1)
    text: str
    group: str = "default"
    metadata: dict[str, Any] = Field(default_factory=dict)


class CorpusQuery(BaseModel):
    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    group: str = "default"
    gold: list[str] = Field(default_factory=list, description="Relevant document ids of the query's group.")
    answer: str | None = Field(default=None, description="Reference answer (the outcome reward scores against it).")
    category: str | None = None


@dataclass
class CorpusGroup:
    name: str
    documents: list[CorpusDocument] = field(default_factory=list)
    queries: list[CorpusQuery] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return [d.id for d in self.documents]


@dataclass
class Corpus:
    path: Path | None
    sha256: str | None
    groups: dict[str, CorpusGroup]

    @property
    def n_documents(self) -> int:
        return sum(len(g.documents) for g in self.groups.values())

    @property
    def n_queries(self) -> int:
        return sum(len(g.queries) for g in self.groups.values())

    def unknown_gold(self) -> int:
        """Gold ids naming no document of their query's group (they count as misses)."""
        out = 0
        for g in self.groups.values():
            ids = set(g.ids)
            out += sum(1 for q in g.queries for e in q.gold if e not in ids)
        return out


def load_corpus(path: str | Path) -> Corpus:
    """Read and validate a corpus JSONL file (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"--corpus {path}: file not found")
    groups: dict[str, CorpusGroup] = {}
    seen_docs: set[tuple[str, str]] = set()
    seen_queries: set[str] = set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: unreadable corpus file ({exc})") from exc
    for n, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{n}: not a JSON object ({exc.msg})") from exc
        if not isinstance(obj, dict):
            raise ConfigError(f"{path}:{n}: expected a JSON object, got {type(obj).__name__}")
        kind = obj.pop("type", None)
        try:
            if kind == "document":
                doc = CorpusDocument(**obj)
                if (doc.group, doc.id) in seen_docs:
                    raise ConfigError(f"{path}:{n}: field 'id': document {doc.id!r} repeated in group {doc.group!r}")
                seen_docs.add((doc.group, doc.id))
                groups.setdefault(doc.group, CorpusGroup(doc.group)).documents.append(doc)
            elif kind == "query":
                q = CorpusQuery(**obj)
                if q.id in seen_queries:
                    raise ConfigError(f"{path}:{n}: field 'id': query {q.id!r} repeated")
                seen_queries.add(q.id)
                groups.setdefault(q.group, CorpusGroup(q.group)).queries.append(q)
            else:
                raise ConfigError(f"{path}:{n}: field 'type' must be 'document' or 'query', got {kind!r}")
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ConfigError(f"{path}:{n}: field {'.'.join(str(p) for p in err['loc'])!r}: {err['msg']}") from exc
        except TypeError as exc:
            raise ConfigError(f"{path}:{n}: {exc}") from exc
    for g in groups.values():
        if g.queries and not g.documents:
            raise ConfigError(f"{path}: group {g.name!r} has {len(g.queries)} queries and no documents")
    if not any(g.documents for g in groups.values()):
        raise ConfigError(f"{path}: no documents")
    if not any(g.queries for g in groups.values()):
        raise ConfigError(f"{path}: no queries")
    return Corpus(path=path, sha256=sha256_file(path), groups=groups)


def write_corpus(path: str | Path, documents: Iterable[CorpusDocument], queries: Iterable[CorpusQuery]) -> Path:
    """Write a corpus JSONL file atomically (documents first, then queries)."""
    lines = [json.dumps({"type": "document", **d.model_dump(exclude_defaults=False)}, ensure_ascii=False) for d in documents]
    lines += [json.dumps({"type": "query", **q.model_dump(exclude_none=True)}, ensure_ascii=False) for q in queries]
    atomic_write_text(Path(path), "\n".join(lines) + "\n")
    return Path(path)
