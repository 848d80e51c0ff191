"""Features the trained proxy scores each shortlisted candidate with.

Everything here is computed from the query, the candidates' texts, their stage-1 scores,
their (cached) embeddings and optional metadata (``speaker``, ``session``, ``index``,
``created_at``, ``has_image``), so training (LoCoMo turns) and inference (any store's records)
share one code path. Missing metadata simply leaves its features at 0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

FEATURE_NAMES = [
    "stage1",  # stage-1 (hybrid) score, min-max scaled over the shortlist
    "stage1_rrank",  # 1 / (1 + stage-1 rank)
    "dense",  # cosine(query, candidate) with the base embedder
    "dense_z",  # the same, z-scored over the shortlist
    "adapted",  # cosine with the trained query adapter
    "adapted_z",
    "bm25_local",  # BM25 over the shortlist as corpus, scaled by its max
    "coverage",  # share of the query's content words found in the candidate
    "speaker_named",  # the candidate's speaker is named in the query
    "other_named",  # the query names a speaker, and not this one
    "neighbour_adapted",  # best adapted cosine of an adjacent turn (same session, index +-1) in the shortlist
    "session_best",  # best adapted cosine in the candidate's session (within the shortlist)
    "session_share",  # share of the shortlist from the candidate's session
    "temporal_q",  # the query asks when / how long
    "time_expr",  # the candidate mentions a time expression
    "temporal_match",  # temporal_q * time_expr
    "recency",  # position of the candidate's session / creation time within the shortlist (1 = latest)
    "has_image",
    "log_len",
    # question type (constant over a shortlist; the hidden layer crosses them with the rest)
    "q_who",
    "q_what",
    "q_where",
    "q_why",
    "q_how",
    "q_would",  # would / likely / might / could (open-domain inference questions)
    "q_yesno",
    "q_how_many",
    "q_conj",  # the question joins two things (and / both): multi-hop
    "q_plural",  # asks for kinds / activities / things / ...: several evidence turns
    "adapted_rrank",  # 1 / (1 + rank by the adapted cosine within the shortlist)
    "bm25_rrank",  # 1 / (1 + rank by the local BM25)
    "window_coverage",  # share of the query's content words in the candidate and its same-session turns at +-1, +-2 (in the shortlist)
    "window_adapted",  # mean adapted cosine of those window turns
    "window_bm25",  # best local BM25 among those window turns
    "window_size",  # how many of the 4 window turns are in the shortlist
    "session_rank",  # 1 / (1 + rank of the candidate's session by its best adapted cosine)
    "session_best_dist",  # 1 / (1 + distance in turns to its session's best adapted turn)
    "entity_match",  # share of the question's capitalised names (speakers aside) the candidate mentions
]
N_FEATURES = len(FEATURE_NAMES)

_WORD = re.compile(r"[a-z0-9']+")
_STOP = frozenset(
    "a an the and or but if of to in on at for with by from as is are was were be been being do does did have has had i you he she it we they "
    "me him her them my your his its our their what when where who whom which why how that this these those there here not no so than then "
    "too very can could would should will shall may might must about into over after before up down out off again any all some such only own "
    "same just also s t don".split()
)
_DATE_PREFIX = re.compile(r"^\s*\[[^\]]*\]\s*")
_TIME = re.compile(
    r"\b(yesterday|today|tonight|tomorrow|ago|last|next|recently|week|weekend|month|year|years|months|weeks|days|day|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday|january|february|march|april|may|june|july|august|september|october|november|december|"
    r"summer|winter|spring|fall|autumn|birthday|since|(?:19|20)\d\d)\b"
)
_QTYPES = [
    re.compile(p)
    for p in (
        r"^\s*who\b",
        r"^\s*what\b",
        r"^\s*where\b",
        r"^\s*why\b",
        r"^\s*how\b",
        r"\b(would|likely|might|could)\b",
        r"^\s*(is|are|does|did|do|was|has|have|can)\b",
        r"\bhow many\b",
        r"\b(and|both)\b",
        r"\b(kinds?|types?|activities|things|books|ways|events)\b",
    )
]
_NAME = re.compile(r"\b[A-Z][a-z]+\b")
_TEMPORAL_Q = re.compile(r"\b(when|how long|what year|which year|what month|what date|what time|how many (?:years|months|weeks|days))\b")


def content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1]


@lru_cache(maxsize=100_000)
def analyse(text: str) -> tuple[tuple[str, ...], frozenset[str], bool]:
    """Per-text analysis, memoised (items recur across queries): content words, their set, time expression."""
    body = _DATE_PREFIX.sub("", text)
    words = tuple(content_words(body))
    return words, frozenset(words), bool(_TIME.search(body.lower()))


def _z(x: np.ndarray) -> np.ndarray:
    sd = float(x.std())
    return (x - float(x.mean())) / sd if sd > 1e-6 else np.zeros_like(x)


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.ones_like(x)


def local_bm25(query_words: Sequence[str], docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75, sets: Sequence[frozenset[str]] | None = None) -> np.ndarray:
    """BM25 of each doc for the query, with IDF over the shortlist itself."""
    n = len(docs)
    if n == 0 or not query_words:
        return np.zeros(n, dtype=np.float32)
    avg = sum(len(d) for d in docs) / n or 1.0
    sets = sets if sets is not None else [frozenset(d) for d in docs]
    out = np.zeros(n, dtype=np.float32)
    for w in set(query_words):
        df = sum(1 for s in sets if w in s)
        if df == 0:
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        for j, d in enumerate(docs):
            if w in sets[j]:
                tf = d.count(w)
                out[j] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avg))
    return out


def _rrank(x: np.ndarray) -> np.ndarray:
    order = np.argsort(-x, kind="stable")
    r = np.empty(len(x), dtype=np.float32)
    r[order] = np.arange(len(x), dtype=np.float32)
    return 1.0 / (1.0 + r)


def candidate_features(
    query: str,
    texts: Sequence[str],
    stage1: np.ndarray,
    dense: np.ndarray,
    adapted: np.ndarray,
    metadatas: Sequence[dict[str, Any]] | None = None,
    speakers: Sequence[str] = (),
) -> np.ndarray:
    """Feature matrix ``(len(texts), N_FEATURES)`` in :data:`FEATURE_NAMES` order.

    ``stage1`` are the shortlist's stage-1 scores (best first order is their rank order),
    ``dense`` and ``adapted`` the cosines of each candidate with the query under the base
    embedder and under the trained query adapter; ``speakers`` are the speaker names known
    to the store (to spot a name in the query).
    """
    n = len(texts)
    feats = np.zeros((n, N_FEATURES), dtype=np.float32)
    if n == 0:
        return feats
    metas = list(metadatas) if metadatas is not None else [{} for _ in texts]
    stage1 = np.asarray(stage1, dtype=np.float32)
    order = np.argsort(-stage1, kind="stable")
    rank = np.empty(n, dtype=np.float32)
    rank[order] = np.arange(n, dtype=np.float32)
    analysed = [analyse(t) for t in texts]
    qwords = content_words(query)
    dwords = [a[0] for a in analysed]
    ql = query.lower()
    named = {s.lower() for s in speakers if s and s.lower() in ql}
    temporal_q = 1.0 if _TEMPORAL_Q.search(ql) else 0.0
    feats[:, 0] = _minmax(stage1)
    feats[:, 1] = 1.0 / (1.0 + rank)
    feats[:, 2] = dense
    feats[:, 3] = _z(np.asarray(dense, dtype=np.float32))
    feats[:, 4] = adapted
    feats[:, 5] = _z(np.asarray(adapted, dtype=np.float32))
    bm = local_bm25(qwords, dwords, sets=[a[1] for a in analysed])
    feats[:, 6] = bm / bm.max() if bm.max() > 0 else 0.0
    qset = set(qwords)
    pos: dict[tuple[Any, Any], int] = {}
    sess_best: dict[Any, float] = {}
    sess_count: dict[Any, int] = {}
    for j, m in enumerate(metas):
        s = m.get("session")
        if s is not None:
            sess_best[s] = max(sess_best.get(s, -1.0), float(adapted[j]))
            sess_count[s] = sess_count.get(s, 0) + 1
            if m.get("index") is not None:
                pos[(s, int(m["index"]))] = j
    times = [float(m.get("session", m.get("created_at", 0.0)) or 0.0) for m in metas]
    t_lo, t_hi = min(times), max(times)
    for j, m in enumerate(metas):
        feats[j, 7] = len(qset & analysed[j][1]) / len(qset) if qset else 0.0
        spk = str(m.get("speaker", "")).lower()
        if named:
            feats[j, 8] = 1.0 if spk and spk in named else 0.0
            feats[j, 9] = 1.0 if spk and spk not in named else 0.0
        s = m.get("session")
        if s is not None:
            if m.get("index") is not None:
                i = int(m["index"])
                nb = [float(adapted[pos[(s, i + d)]]) for d in (-1, 1) if (s, i + d) in pos]
                feats[j, 10] = max(nb) if nb else 0.0
            feats[j, 11] = sess_best[s]
            feats[j, 12] = sess_count[s] / n
        feats[j, 13] = temporal_q
        te = 1.0 if analysed[j][2] else 0.0
        feats[j, 14] = te
        feats[j, 15] = temporal_q * te
        feats[j, 16] = (times[j] - t_lo) / (t_hi - t_lo) if t_hi > t_lo else 0.0
        feats[j, 17] = 1.0 if (m.get("has_image") or "[image:" in texts[j]) else 0.0
        feats[j, 18] = math.log1p(len(dwords[j])) / 5.0
    _context_features(feats, query, analysed, np.asarray(adapted, dtype=np.float32), metas, pos, named, qset)
    return feats


def _context_features(feats: np.ndarray, query: str, analysed: Sequence[tuple[tuple[str, ...], frozenset[str], bool]], adapted: np.ndarray,
                      metas: Sequence[dict[str, Any]], pos: dict[tuple[Any, Any], int], named: set[str], qset: set[str]) -> None:
    """Columns 19 on (question type, rank, window and session-context, name matches), in place."""
    ql = query.lower()
    for c, pattern in enumerate(_QTYPES):
        feats[:, 19 + c] = 1.0 if pattern.search(ql) else 0.0
    feats[:, 29] = _rrank(adapted)
    feats[:, 30] = _rrank(feats[:, 6])
    best_of: dict[Any, int] = {}
    for j, m in enumerate(metas):
        s = m.get("session")
        if s is not None and (s not in best_of or adapted[j] > adapted[best_of[s]]):
            best_of[s] = j
    session_rank = {s: r for r, s in enumerate(sorted(best_of, key=lambda s: -adapted[best_of[s]]))}
    speakers = {str(m.get("speaker", "")).lower() for m in metas} | named
    names = {w.lower() for w in _NAME.findall(query)[1:]} - speakers
    for j, m in enumerate(metas):
        s, i = m.get("session"), m.get("index")
        if names:
            feats[j, 37] = len(names & analysed[j][1]) / len(names)
        if s is None:
            continue
        feats[j, 35] = 1.0 / (1.0 + session_rank[s])
        best_index = metas[best_of[s]].get("index")
        if i is None:
            continue
        if best_index is not None:
            feats[j, 36] = 1.0 / (1.0 + abs(int(i) - int(best_index)))
        window = [pos[(s, int(i) + d)] for d in (-2, -1, 1, 2) if (s, int(i) + d) in pos]
        words = analysed[j][1].union(*[analysed[k][1] for k in window])
        feats[j, 31] = len(qset & words) / len(qset) if qset else 0.0
        if window:
            feats[j, 32] = float(np.mean([adapted[k] for k in window]))
            feats[j, 33] = max(float(feats[k, 6]) for k in window)
        feats[j, 34] = len(window) / 4.0
