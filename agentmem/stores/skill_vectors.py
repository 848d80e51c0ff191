"""The shipped skills' vectors, computed once per version of the skills instead of in every new home.

The skill library's search index lives in the process (an exact vector scan and an in-memory
BM25 over ``name | description``: skills number in the hundreds and are parsed in full whenever
a library opens), so it never waits for Chroma. Its vectors come from, in order: the seed file
shipped beside the skills (``skills/.vectors/<model>.npz``, keyed by each text's SHA-1 and
written by one model, see :mod:`~agentmem.retrieval.vector_seed`), then the embedder's own
content-hash cache (``<home>/cache``), then the model. A skill whose name or description changed
since the seed was written has another hash and is embedded (once: the home's cache keeps it);
a seed from another model is ignored.

Regenerate the seed after editing shipped skills (``make skill-vectors``)::

    python -m agentmem.stores.skill_vectors
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..retrieval.vector_seed import seed_file_name, seeded, write_seed

if TYPE_CHECKING:
    from ..retrieval.base import Embedder
    from ..settings import Settings

SEED_DIR = ".vectors"


def seed_path(shipped_root: Path, embedder: "Embedder") -> Path:
    """Where the seed of ``embedder``'s model for the skills under ``shipped_root`` lives."""
    return Path(shipped_root) / SEED_DIR / seed_file_name(embedder)


def seeded_for(shipped_root: Path | None, embedder: "Embedder") -> "Embedder":
    """``embedder`` answering the shipped skills' texts from their seed when one exists for its model."""
    if shipped_root is None:
        return embedder
    return seeded(embedder, seed_path(shipped_root, embedder))


def write_shipped_vectors(settings: "Settings | None" = None, shipped_root: Path | None = None, embedder: "Embedder | None" = None) -> tuple[Path, int]:
    """Embed every shipped skill's search text and write the seed; returns its path and row count."""
    import tempfile

    from ..resources import skills_dir
    from ..retrieval.factory import make_embedder
    from ..settings import Settings
    from .skill_library import SkillLibrary

    root = Path(shipped_root) if shipped_root is not None else skills_dir()
    with tempfile.TemporaryDirectory(prefix="agentmem-skill-vectors-") as tmp:
        st = settings or Settings.load(home=Path(tmp))
        emb = embedder or make_embedder(st)
        lib = SkillLibrary(st, embedder=emb, shipped=root, extra_paths=[])
        texts = [s.search_text() for s in lib.skills(include_inactive=True) if s.origin == "shipped"]
        path = seed_path(root, emb)
        return path, write_seed(path, emb, texts)


def main(argv: list[str] | None = None) -> int:
    path, n = write_shipped_vectors()
    print(f"wrote {n} skill vectors to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
