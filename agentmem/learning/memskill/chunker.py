"""Split interaction text into overlapping spans for MemSkill (about 512 tokens, 64 overlap).

Token counts are agentmem's one token estimate (:func:`agentmem.tokens.approx_tokens`,
characters / 4 rounded up), the same rule every budget uses; a span's estimate is exactly
``approx_tokens(span.text)``. Spans break at turn boundaries (lines) when a turn fits, so a turn
is only cut when it alone exceeds the span size; words are never cut.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from pydantic import BaseModel, Field

from agentmem.tokens import approx_tokens


class Span(BaseModel):
    """One chunk of interaction the controller and executor work on."""

    id: str
    text: str
    index: int = Field(..., description="Position of the span in its episode (0 = first).")
    start_word: int
    end_word: int
    date: str = Field(default="", description="Session date or time the span belongs to, if known.")


estimate_tokens = approx_tokens  # the chunker's token estimate is the shared one


def chunk_text(text: str, *, episode_id: str = "ep", size: int = 512, overlap: int = 64, date: str = "") -> list[Span]:
    """Cut ``text`` into spans of at most ``size`` estimated tokens, consecutive spans sharing about ``overlap``.

    A span ends at the last line (turn) boundary in its second half when there is one, so turns
    are cut only when they are very long; the next span starts about ``overlap`` tokens before the
    end, moved forward to a turn boundary inside that window when there is one (then the overlap is
    the last whole turns that fit). Token counts are :func:`~agentmem.tokens.approx_tokens` of the
    span's text. Raises ``ValueError`` unless ``0 <= overlap < size``.
    """
    if size <= 0 or overlap < 0 or overlap >= size:
        raise ValueError(f"chunk_text: need 0 <= overlap < size (got size={size}, overlap={overlap})")
    words: list[str] = []
    line_of: list[int] = []
    for ln, raw in enumerate(text.splitlines()):
        for w in raw.split():
            words.append(w)
            line_of.append(ln)
    n = len(words)
    cum = [0]  # cum[i] = characters of words[:i], each with its one separator
    for w in words:
        cum.append(cum[-1] + len(w) + 1)

    def tokens(a: int, b: int) -> int:  # approx_tokens of words[a:b] joined by single separators
        return (cum[b] - cum[a] - 1 + 3) // 4 if b > a else 0

    starts = [i for i in range(1, n) if line_of[i] != line_of[i - 1]]  # word positions that begin a turn
    spans: list[Span] = []
    p = 0
    while p < n:
        e = max(p + 1, min(n, bisect_right(cum, cum[p] + 1 + 4 * size) - 1))
        if e < n:
            cut = max((b for b in starts if p < b <= e and tokens(p, b) > size // 2), default=None)
            e = cut if cut is not None else e
        lines: dict[int, list[str]] = {}
        for i in range(p, e):
            lines.setdefault(line_of[i], []).append(words[i])
        spans.append(Span(id=f"{episode_id}:s{len(spans)}", text="\n".join(" ".join(ws) for ws in lines.values()), index=len(spans),
                          start_word=p, end_word=e, date=date))
        if e >= n:
            break
        nxt = max(bisect_left(cum, cum[e] - 1 - 4 * overlap), p + 1)
        snapped = min((b for b in starts if nxt <= b < e), default=None)
        p = snapped if snapped is not None and snapped > p else nxt
    return spans
