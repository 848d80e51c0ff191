"""Split a grid at separator lines and choose or combine its cells."""
import numpy as np

PARAMS = [{"mode": m} for m in ("unique", "most", "least", "most_colors", "least_colors", "overlay")]


def _spans(full, n):
    spans, start = [], None
    for i in range(n + 1):
        if i < n and not full[i]:
            if start is None:
                start = i
        elif start is not None:
            spans.append((start, i))
            start = None
    return spans


def cells(g):
    """The grid's cells between separator lines (row-major), or [] when there are none."""
    h, w = g.shape
    best = []
    for sep in np.unique(g):
        rows = (g == sep).all(axis=1)
        cols = (g == sep).all(axis=0)
        if not rows.any() and not cols.any():
            continue
        if rows.all() or cols.all():
            continue
        rs, cs = _spans(rows, h), _spans(cols, w)
        out = [g[a:b, c:d] for a, b in rs for c, d in cs]
        if len(out) >= 2 and len(out) > len(best):
            best = out
    return best


def transform(grid, mode="unique"):
    """The chosen cell; the grid unchanged when it has no separators or no single answer."""
    g = np.asarray(grid)
    try:
        return _choose(g, mode)
    except ValueError:
        return g.copy()


def _choose(g, mode):
    parts = cells(g)
    if not parts:
        raise ValueError("no separator lines")
    bg = 0
    if mode == "overlay":
        shape = parts[0].shape
        if any(p.shape != shape for p in parts):
            raise ValueError("cells differ in shape")
        out = parts[0].copy()
        for p in parts[1:]:
            out[p != bg] = p[p != bg]
        return out
    if mode == "unique":
        keys = [p.shape + tuple(p.ravel()) for p in parts]
        odd = [i for i, k in enumerate(keys) if keys.count(k) == 1]
        if len(odd) != 1:
            masks = [p.shape + tuple((p != bg).ravel()) for p in parts]
            odd = [i for i, k in enumerate(masks) if masks.count(k) == 1]
        if len(odd) != 1:
            raise ValueError("no single odd cell")
        return parts[odd[0]].copy()
    if mode in ("most", "least"):
        score = [int((p != bg).sum()) for p in parts]
    else:
        score = [len(set(np.unique(p).tolist()) - {bg}) for p in parts]
    target = max(score) if mode.startswith("most") else min(score)
    if score.count(target) != 1:
        raise ValueError("tie")
    return parts[score.index(target)].copy()
