"""A cell-level rule over a learned feature subset: each cell's output colour is looked up from its own
colour and a few features of where it stands (neighbours, parities, object size, first colour seen along a
direction, mirror partners, enclosure, row/column ink...).

The family (own colour + any 1 or 2 of the features below) is too large to try on every task, so
``fit`` tries only the subset it is told (``features``: a learned member of the family, written by
the ARC wake/sleep learner) and nothing without one; ``features="*"`` enumerates the whole family
(the no-learning baseline; costly). A subset is proposed only when its lookup table has no
conflict over the train pairs **and** generalises by leave-one-out (every key of each train pair
also occurs in another pair, so the table built without that pair reproduces it). ``transform``
raises on a key it has never seen, so a rule that does not cover a test input is no attempt.
"""
from itertools import combinations

import numpy as np
from scipy import ndimage

PARAMS = []
#: parameters of a fixed (learned) slot that ``fit`` takes as a restriction rather than re-learning them
FIT_HINT = ("features",)
MAX_SIZE = 2
MAX_SETTINGS = 40
_CACHE = {}


def _first_seen(g, d):
    m = {"u": g, "d": g[::-1], "l": g.T, "r": g.T[::-1]}[d]
    out = np.full(m.shape, -1, dtype=int)
    last = np.full(m.shape[1], -1, dtype=int)
    for i in range(m.shape[0]):
        out[i] = last
        last = np.where(m[i] != 0, m[i], last)
    return {"u": out, "d": out[::-1], "l": out.T, "r": out[::-1].T}[d]


def _line_major(g):
    return np.array([np.bincount(r[r != 0], minlength=10).argmax() if (r != 0).any() else 0 for r in g])


def features(g):
    """Every feature of every cell of ``g`` (dict name -> int array of g's shape; -1: none / off the grid)."""
    g = np.asarray(g).astype(int)
    key = g.tobytes() + bytes(str(g.shape), "ascii")
    if key in _CACHE:
        return _CACHE[key]
    h, w = g.shape
    f = {}
    p = np.pad(g, 1, constant_values=-1)
    f["u"], f["d"], f["l"], f["r"] = p[:-2, 1:-1], p[2:, 1:-1], p[1:-1, :-2], p[1:-1, 2:]
    f["ul"], f["ur"], f["dl"], f["dr"] = p[:-2, :-2], p[:-2, 2:], p[2:, :-2], p[2:, 2:]
    rr, cc = np.indices((h, w))
    f["r2"], f["c2"], f["r3"], f["c3"] = rr % 2, cc % 2, rr % 3, cc % 3
    f["rb2"], f["cb2"] = (h - 1 - rr) % 2, (w - 1 - cc) % 2
    nb = np.stack([f[k] for k in ("u", "d", "l", "r", "ul", "ur", "dl", "dr")])
    f["same8"], f["ink8"], f["same4"] = (nb == g).sum(0), (nb > 0).sum(0), (nb[:4] == g).sum(0)
    lab = np.zeros(g.shape, int)
    n = 0
    for c in np.unique(g):
        lc, k = ndimage.label(g == c)
        lab[lc > 0] = lc[lc > 0] + n
        n += k
    sizes = np.bincount(lab.ravel())
    ink = np.unique(lab[g != 0])
    f["osize"] = np.minimum(sizes[lab], 10)
    big = max((sizes[i] for i in ink), default=0)
    small = min((sizes[i] for i in ink), default=0)
    f["olargest"] = ((sizes[lab] == big) & (g != 0)).astype(int)
    f["osmallest"] = ((sizes[lab] == small) & (g != 0)).astype(int)
    lab8, n8 = ndimage.label(g != 0, structure=np.ones((3, 3), int))
    s8 = np.bincount(lab8.ravel())
    f["msize"] = np.where(lab8 > 0, np.minimum(s8[lab8], 12), 0)
    ncol = np.zeros(n8 + 1, int)
    for i in range(1, n8 + 1):
        ncol[i] = len(np.unique(g[lab8 == i]))
    f["mcols"] = ncol[lab8]
    for d in ("u", "d", "l", "r"):
        f["f" + d] = _first_seen(g, d)
    f["mh"], f["mv"], f["m180"] = g[:, ::-1], g[::-1, :], g[::-1, ::-1]
    if h == w:
        f["mt"] = g.T
    f["edge"] = ((rr == 0) | (cc == 0) | (rr == h - 1) | (cc == w - 1)).astype(int)
    bg, _ = ndimage.label(g == 0)
    outside = np.unique(np.concatenate([bg[0], bg[-1], bg[:, 0], bg[:, -1]]))
    f["enclosed"] = ((g == 0) & ~np.isin(bg, outside)).astype(int)
    f["rowink"] = np.repeat((g != 0).sum(1, keepdims=True), w, 1).clip(0, 5)
    f["colink"] = np.repeat((g != 0).sum(0, keepdims=True), h, 0).clip(0, 5)
    f["rowmax"] = np.repeat(_line_major(g)[:, None], w, 1)
    f["colmax"] = np.repeat(_line_major(g.T)[None, :], h, 0)
    if len(_CACHE) > 4096:
        _CACHE.clear()
    _CACHE[key] = f
    return f


NAMES = sorted(features(np.zeros((3, 3), int)))


def family(max_size=MAX_SIZE):
    """Every member of the family: subsets of 1..max_size feature names (size, then name order)."""
    return [list(s) for k in range(1, max_size + 1) for s in combinations(NAMES, k)]


def _keys(g, feats):
    f = features(g)
    if any(n not in f for n in feats):
        return None
    return np.stack([np.asarray(g).astype(int).ravel()] + [f[n].ravel() for n in feats], 1)


def _codes(keys):
    return (keys + 2) @ (64 ** np.arange(keys.shape[1], dtype=np.int64))


def _fit_one(pairs, feats):
    codes, outs, which = [], [], []
    for i, (a, b) in enumerate(pairs):
        k = _keys(a, feats)
        if k is None:
            return None
        codes.append(_codes(k))
        outs.append(b.ravel().astype(int))
        which.append(np.full(a.size, i))
    c, o, wp = np.concatenate(codes), np.concatenate(outs), np.concatenate(which)
    order = np.lexsort((wp, c))
    c, o, wp = c[order], o[order], wp[order]
    same = c[1:] == c[:-1]
    if np.any(same & (o[1:] != o[:-1])):
        return None  # a conflict: one key, two output colours
    # leave-one-out: every key must occur in at least two train pairs
    starts = np.flatnonzero(np.r_[True, ~same])
    pairs_per_key = np.add.reduceat(np.r_[True, (wp[1:] != wp[:-1]) | ~same].astype(int), starts)
    if np.any(pairs_per_key < 2):
        return None
    rows = _unique_rows(pairs, feats)
    return {"features": list(feats), "table": rows}


def _unique_rows(pairs, feats):
    seen = {}
    for a, b in pairs:
        for k, v in zip(_keys(a, feats).tolist(), b.ravel().tolist()):
            seen.setdefault(tuple(k), int(v))
    return [[list(k), v] for k, v in sorted(seen.items())]


def fit(train_pairs, features=None):
    """Settings of the given member (``features``: list of names), or of the whole family (``"*"``)."""
    if features is None:
        return []
    pairs = [(np.asarray(i).astype(int), np.asarray(o).astype(int)) for i, o in train_pairs]
    if len(pairs) < 2 or any(a.shape != b.shape for a, b in pairs) or all(np.array_equal(a, b) for a, b in pairs):
        return []
    if sum(a.size for a, _ in pairs) > 6000:
        return []
    members = family() if features == "*" else [list(features)]
    found = []
    for feats in members:
        got = _fit_one(pairs, feats)
        if got is not None:
            found.append(got)
            if len(found) >= MAX_SETTINGS:
                break
    return found


def transform(grid, features, table):
    g = np.asarray(grid).astype(int)
    keys = _keys(g, features)
    if keys is None:
        raise ValueError("a feature of this rule is undefined on this grid")
    look = {tuple(k): v for k, v in table}
    out = [look.get(tuple(k)) for k in keys.tolist()]
    if any(v is None for v in out):
        raise ValueError("a cell's key was never seen in the train pairs")
    return np.array(out, dtype=int).reshape(g.shape)
