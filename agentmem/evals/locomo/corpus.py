"""LoCoMo as a retrieval corpus file (:mod:`agentmem.evals.corpus.format`): one converter of the format.

Each conversation is a group; its turns are documents (rendered as the LoCoMo benchmark renders
them, with ``speaker``, ``session``, ``index`` and ``has_image`` metadata); each QA item with
evidence is a query whose gold ids are its normalised evidence, whose answer is the reference
answer (the adversarial answer for category 5) and whose category is the LoCoMo category.

    agentmem eval retrieval --corpus locomo.jsonl   # after: python -m agentmem.evals.locomo.corpus OUT
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from agentmem.evals.corpus.format import CorpusDocument, CorpusQuery, write_corpus
from agentmem.evals.locomo.data import load_locomo
from agentmem.evals.locomo.retrieval import queries_of


def locomo_to_corpus(out: str | Path, data_path: str | Path | None = None, conversations: Sequence[str] | None = None) -> Path:
    """Write LoCoMo (all conversations, or the named sample ids) as a corpus JSONL file."""
    docs: list[CorpusDocument] = []
    queries: list[CorpusQuery] = []
    for conv in load_locomo(data_path):
        if conversations and conv.sample_id not in conversations:
            continue
        for t in conv.turns:
            docs.append(CorpusDocument(id=t.dia_id, text=t.render(), group=conv.sample_id, metadata={"speaker": t.speaker, "session": t.session, "index": t.index, "has_image": bool(t.blip_caption)}))
        for j, qa in enumerate(queries_of(conv)):
            queries.append(CorpusQuery(id=f"{conv.sample_id}#{j}", text=qa.question, group=conv.sample_id, gold=list(qa.evidence), answer=qa.answer or qa.adversarial_answer or None, category=str(qa.category)))
    return write_corpus(out, docs, queries)


if __name__ == "__main__":  # pragma: no cover - a convenience entry point
    print(locomo_to_corpus(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
