"""Answer-level QA metrics: token F1 and BLEU-1 with the standard normalisation.

Both metrics compare one predicted answer with one gold answer after the same
normalisation (the SQuAD convention that LoCoMo-style evaluations report):

1. lowercase;
2. remove punctuation (every character in :data:`string.punctuation`);
3. remove the articles ``a``, ``an``, ``the`` (as whole words);
4. split on whitespace.

**Token F1**: with ``common`` the multiset intersection of predicted and gold tokens,
``precision = |common| / |pred|``, ``recall = |common| / |gold|``,
``F1 = 2PR / (P + R)``; 0 when there is no overlap; 1 when both normalise to no tokens, 0
when only one does.

**BLEU-1** (single reference): clipped unigram precision
``p1 = sum_w min(count_pred(w), count_gold(w)) / |pred|`` times the brevity penalty
``BP = 1 if |pred| > |gold| else exp(1 - |gold| / |pred|)``; 0 for an empty prediction.
This is what ``nltk``'s ``sentence_bleu(..., weights=(1, 0, 0, 0))`` computes on the same
tokens without smoothing (nltk is not needed). Differences from published numbers come from
tokenisation: LoCoMo's own script also stems tokens and, for multi-hop items, averages F1
over comma-separated sub-answers; Mem0-style scripts tokenise with nltk without removing
articles. Our figures are comparable with each other, not digit for digit with those.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter

_PUNCT = re.compile("[" + re.escape(string.punctuation) + "]")
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """Lowercase, strip punctuation and articles, collapse whitespace."""
    text = str(text).lower()
    text = _PUNCT.sub("", text)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def answer_tokens(text: str) -> list[str]:
    """The normalised whitespace tokens of ``text``."""
    return normalize_answer(text).split()


def token_f1(prediction: str, gold: str) -> float:
    """Token-level F1 between ``prediction`` and ``gold`` after :func:`normalize_answer`."""
    pred, ref = answer_tokens(prediction), answer_tokens(gold)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision = common / len(pred)
    recall = common / len(ref)
    return 2 * precision * recall / (precision + recall)


def bleu1(prediction: str, gold: str) -> float:
    """BLEU-1 of ``prediction`` against the single reference ``gold`` (clipped unigram precision x brevity penalty)."""
    pred, ref = answer_tokens(prediction), answer_tokens(gold)
    if not pred or not ref:
        return 0.0
    ref_counts = Counter(ref)
    clipped = sum(min(c, ref_counts[w]) for w, c in Counter(pred).items())
    precision = clipped / len(pred)
    if precision == 0:
        return 0.0
    bp = 1.0 if len(pred) > len(ref) else math.exp(1 - len(ref) / len(pred))
    return bp * precision


_NOT_MENTIONED = re.compile(
    r"\b(not mentioned|no (?:information|mention|record|evidence)|not (?:stated|specified|discussed|available|provided|known)|"
    r"(?:does|did)n'?t (?:mention|say|say anything)|never mentioned|cannot be (?:answered|determined)|unanswerable|unknown|"
    r"not in the conversation|no answer)\b",
    re.IGNORECASE,
)


def says_not_mentioned(answer: str) -> bool:
    """Whether ``answer`` declines because the conversation does not say (the right reply to an adversarial item)."""
    return bool(_NOT_MENTIONED.search(answer or ""))
