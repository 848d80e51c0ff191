"""Paint the empty stretches of a busy grid: every k x k window of background, every row or column that is
all background (inside a learned margin), or the largest all-background rectangle."""
import numpy as np

PARAMS = []


def _windows(empty, kh, kw, greedy=False):
    """Cells covered by at least one all-empty kh x kw window; ``greedy``: windows taken in reading order,
    each only when it does not overlap one already taken."""
    h, w = empty.shape
    hit = np.zeros_like(empty)
    if kh > h or kw > w:
        return hit
    if greedy:
        for y in range(h - kh + 1):
            for x in range(w - kw + 1):
                if empty[y:y + kh, x:x + kw].all() and not hit[y:y + kh, x:x + kw].any():
                    hit[y:y + kh, x:x + kw] = True
        return hit
    s = np.pad(empty.astype(int).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    tot = s[kh:, kw:] - s[:-kh, kw:] - s[kh:, :-kw] + s[:-kh, :-kw]
    for y, x in zip(*np.nonzero(tot == kh * kw)):
        hit[y:y + kh, x:x + kw] = True
    return hit


def _largest(empty, min_side=1):
    """The largest all-empty rectangle with both sides at least ``min_side`` (by area; None when it is not unique)."""
    h, w = empty.shape
    best, where, ties = 0, None, 0
    heights = np.zeros(w, dtype=int)
    for y in range(h):
        heights = np.where(empty[y], heights + 1, 0)
        for x0 in range(w):
            mh = h + 1
            for x1 in range(x0, w):
                mh = min(mh, heights[x1])
                if mh < min_side:
                    break
                if x1 - x0 + 1 < min_side:
                    continue
                area = mh * (x1 - x0 + 1)
                if area > best:
                    best, where, ties = area, (y - mh + 1, y + 1, x0, x1 + 1), 1
                elif area == best and (y - mh + 1, y + 1, x0, x1 + 1) != where:
                    ties += 1
    return where if ties == 1 else None


def transform(grid, mode="square", color=1, k=2, margin=0, bg=0, greedy=False, min_side=1):
    g = np.asarray(grid)
    out = g.copy()
    empty = g == bg
    h, w = g.shape
    if mode == "square":
        out[_windows(empty, k, k, greedy)] = color
    elif mode in ("lines", "rows", "cols"):
        m = int(margin)
        inner = empty[m:h - m or None, m:w - m or None] if m else empty
        if mode in ("lines", "rows"):
            for y in np.nonzero(inner.all(axis=1))[0]:
                out[y + m, m:w - m] = color
        if mode in ("lines", "cols"):
            for x in np.nonzero(inner.all(axis=0))[0]:
                out[m:h - m, x + m] = color
    elif mode == "largest":
        r = _largest(empty, min_side)
        if r is None:
            raise ValueError("no single largest empty rectangle")
        out[r[0]:r[1], r[2]:r[3]] = color
    return out


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs):
        return []
    new, bgs = set(), set()
    for a, b in pairs:
        d = a != b
        if not d.any():
            continue
        new |= {int(v) for v in np.unique(b[d])}
        bgs |= {int(v) for v in np.unique(a[d])}
    if len(new) != 1 or len(bgs) != 1:
        return []  # one background colour becomes one new colour
    color, bg = new.pop(), bgs.pop()
    cands = [{"mode": "square", "k": k, **g} for k in (2, 3, 4) for g in ({}, {"greedy": True})] + [{"mode": "largest", "min_side": m} for m in (1, 2)]
    cands += [{"mode": m, "margin": mg} for m in ("lines", "rows", "cols") for mg in (0, 1)]
    out = []
    for p in cands:
        p = dict(p, color=color, bg=bg)
        try:
            if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                out.append(p)
        except ValueError:
            continue
        if len(out) >= 2:
            break
    return out
