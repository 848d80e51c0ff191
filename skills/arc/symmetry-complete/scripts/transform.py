"""Restore masked cells of a symmetric picture from their mirror images."""
import numpy as np

PARAMS = [{"mask": 0}]


def fit(train_pairs):
    masks = None
    for inp, out in train_pairs:
        a, b = np.asarray(inp), np.asarray(out)
        if a.shape != b.shape:
            return []
        cand = set(np.unique(a).tolist()) - set(np.unique(b).tolist())
        masks = cand if masks is None else masks & cand
    return [{"mask": int(m)} for m in sorted(masks or [])]


def transform(grid, mask=0):
    g = np.asarray(grid)
    out = g.copy()
    h, w = g.shape
    views = [g[:, ::-1], g[::-1, :], g[::-1, ::-1]]
    if h == w:
        views += [g.T, g[::-1, ::-1].T]
    for _ in range(2):
        holes = out == mask
        if not holes.any():
            break
        for v in views:
            fill = holes & (v != mask)
            out[fill] = v[fill]
            holes = out == mask
        g = out
        views = [g[:, ::-1], g[::-1, :], g[::-1, ::-1]] + ([g.T, g[::-1, ::-1].T] if h == w else [])
    return out
