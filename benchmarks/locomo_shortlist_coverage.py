"""How much of the LoCoMo evidence each first-stage variant puts in the top 50 (the proxy's ceiling).

Issue 16 item 2: the hybrid top 50 holds about 80% of the evidence, which caps any reranker.
This measures cheap alternatives on the same cached MiniLM embeddings (no training, no labels
used by the variants): RRF constants, neighbours of the best turns, dense and BM25 pseudo-relevance
feedback, and a session ranking (sessions ordered by their best hybrid turn) as a third RRF list.
Coverage = per query, the share of its evidence in the top 50, averaged over categories 1-4.

    python benchmarks/locomo_shortlist_coverage.py      # -> benchmarks/results/locomo_shortlist_coverage.{json,md}
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    from agentmem.evals.locomo.data import load_locomo
    from agentmem.evals.locomo.retrieval import (
        build_corpora,
        queries_of,
        rank_from_scores,
        rrf_indices,
    )
    from agentmem.retrieval.embedder import MiniLMEmbedder
    from agentmem.settings import Settings

    t0 = time.time()
    settings = Settings.load().ensure_home()
    convs = load_locomo()
    emb = MiniLMEmbedder()
    corpora, emb = build_corpora(convs, emb, settings.paths.cache)
    N = 50
    res: dict[str, list[float]] = {}

    def add(name: str, ok: int, tot: int) -> None:
        res.setdefault(name, [0.0, 0])
        res[name][0] += ok / tot
        res[name][1] += 1

    for corpus in corpora:
        qs = [q for q in queries_of(corpus.conv) if q.category in (1, 2, 3, 4)]
        qv = emb.embed([q.question for q in qs])
        sess = np.array([int(i.split(":")[0][1:]) for i in corpus.ids])
        for qa, v in zip(qs, qv):
            ev = [corpus.pos[e] for e in qa.evidence if e in corpus.pos]
            n_ev = len(qa.evidence)
            bm_s = corpus.bm25_scores(qa.question)
            bm = rank_from_scores(bm_s, only_positive=True)
            ds = corpus.dense_scores(v)
            de = rank_from_scores(ds)

            def cov(sel):
                add(name_, sum(1 for e in ev if e in set(sel)), n_ev)  # noqa: B023 - called in the same iteration that binds them

            for k in (60, 20, 5):
                name_ = f"rrf k={k}"
                cov(rrf_indices([bm, de], k=k)[0][:N])
            hy = rrf_indices([bm, de], k=60)[0]
            name_ = "rrf top100 (reference)"
            cov(hy[:100])
            # neighbours of the top 10 fill the last slots
            top = hy[:35]
            extra = []
            for i in hy[:10]:
                for d in (-1, 1):
                    j = i + d
                    if (
                        0 <= j < len(corpus.ids)
                        and sess[j] == sess[i]
                        and j not in top
                        and j not in extra
                    ):
                        extra.append(j)
            sel = (top + extra + [i for i in hy if i not in top and i not in extra])[:N]
            name_ = "hybrid35 + neighbours of top10"
            cov(sel)
            # dense PRF: q' = q + mean of top-3 hybrid docs
            q2 = v + corpus.embeddings[hy[:3]].mean(0)
            q2 /= np.linalg.norm(q2)
            de2 = rank_from_scores(corpus.dense_scores(q2))
            name_ = "rrf(bm25, dense, dense-PRF)"
            cov(rrf_indices([bm, de, de2], k=60)[0][:N])
            # bm25 PRF: expand the query with the top-2 bm25 docs' words
            exp = qa.question + " " + " ".join(corpus.texts[i] for i in bm[:2])
            bm2 = rank_from_scores(corpus.bm25_scores(exp), only_positive=True)
            name_ = "rrf(bm25, bm25-PRF, dense)"
            cov(rrf_indices([bm, bm2, de], k=60)[0][:N])
            # session boost: sessions ranked by best hybrid rank; interleave
            name_ = "rrf(bm25, dense, session-of-best)"
            best_sess = {}
            for r, i in enumerate(hy[:20]):
                best_sess.setdefault(sess[i], r)
            sr = sorted(
                range(len(corpus.ids)),
                key=lambda i: (best_sess.get(sess[i], 99), -ds[i]),
            )
            cov(rrf_indices([bm, de, sr], k=60)[0][:N])
    table = {k: round(100 * a / b, 2) for k, (a, b) in res.items()}
    md = [
        "# LoCoMo shortlist coverage (top 50, categories 1-4)",
        "",
        f"Command: `python benchmarks/locomo_shortlist_coverage.py`; {round(time.time() - t0)} s; load average {os.getloadavg()[0]:.1f}.",
        "",
        "| first stage | evidence in top 50 (%) |",
        "|---|---|",
    ] + [f"| {k} | {v:.1f} |" for k, v in table.items()]
    out = ROOT / "benchmarks" / "results"
    (out / "locomo_shortlist_coverage.json").write_text(
        json.dumps(
            {"coverage_top50": table, "queries": int(next(iter(res.values()))[1])},
            indent=2,
        )
    )
    (out / "locomo_shortlist_coverage.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
