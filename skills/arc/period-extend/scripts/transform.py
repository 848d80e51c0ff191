"""Continue a periodic grid to a larger size, or cut it down to one period."""
from fractions import Fraction

import numpy as np

PARAMS = [{"mode": "unit"}]
MODES = ("extend", "reflect")


def period(g, axis):
    """The smallest p with g[i] == g[i - p] along ``axis`` for every i >= p (the length when none)."""
    m = g if axis == 0 else g.T
    n = m.shape[0]
    for p in range(1, n):
        if np.array_equal(m[p:], m[:-p]):
            return p
    return n


def _size(n, spec):
    if spec == "same":
        return n
    if isinstance(spec, str) and spec.startswith("x"):
        v = Fraction(spec[1:]) * n
        if v.denominator != 1:
            raise ValueError("not a whole size")
        return int(v)
    if isinstance(spec, str) and spec.startswith("lin:"):
        a, b = (int(v) for v in spec[4:].split(":"))
        return a * n + b
    return int(spec)


def _index(size, n, p):
    i = np.arange(size)
    return np.where(i < n, i, n - p + (i - n) % p)


def _reflect(size, n):
    if n == 1:
        return np.zeros(size, dtype=int)
    i = np.arange(size) % (2 * n - 2)
    return np.where(i < n, i, 2 * n - 2 - i)


def transform(grid, mode="extend", rows="same", cols="same"):
    """``mode="unit"``: one period (top-left); ``"extend"``: the pattern continued to ``rows`` x ``cols``
    (``"same"``, ``"xK"`` times the input, K may be a fraction such as ``"x3/2"``, ``"lin:a:b"`` for
    a * size + b, or a fixed count); ``"reflect"``: continued by mirroring at the last row and column."""
    g = np.asarray(grid)
    if mode == "reflect":
        h, w = _size(g.shape[0], rows), _size(g.shape[1], cols)
        if h > 30 or w > 30 or h < 1 or w < 1:
            raise ValueError("bad size")
        return g[np.ix_(_reflect(h, g.shape[0]), _reflect(w, g.shape[1]))]
    py, px = period(g, 0), period(g, 1)
    if mode == "unit":
        if (py, px) == g.shape:
            raise ValueError("not periodic")
        return g[:py, :px].copy()
    h, w = _size(g.shape[0], rows), _size(g.shape[1], cols)
    if h > 30 or w > 30:
        raise ValueError("too large")
    return g[np.ix_(_index(h, g.shape[0], py), _index(w, g.shape[1], px))]


def _spec(ins, outs):
    if all(a == b for a, b in zip(ins, outs)):
        return "same"
    ratios = {Fraction(b, a) for a, b in zip(ins, outs)}
    if len(ratios) == 1:
        return "x" + str(ratios.pop())
    if len(set(outs)) == 1:
        return outs[0]
    if len(set(ins)) >= 2:
        (n1, m1), (n2, m2) = sorted(set(zip(ins, outs)))[:2]
        if n1 != n2 and (m2 - m1) % (n2 - n1) == 0:
            a = (m2 - m1) // (n2 - n1)
            b = m1 - a * n1
            if all(a * n + b == m for n, m in zip(ins, outs)):
                return f"lin:{a}:{b}"
    return None


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    found = []
    if all(b.shape[0] <= a.shape[0] and b.shape[1] <= a.shape[1] for a, b in pairs):
        p = {"mode": "unit"}
        try:
            if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                found.append(p)
        except ValueError:
            pass
    rows = _spec([a.shape[0] for a, _ in pairs], [b.shape[0] for _, b in pairs])
    cols = _spec([a.shape[1] for a, _ in pairs], [b.shape[1] for _, b in pairs])
    if rows is not None and cols is not None and (rows, cols) != ("same", "same"):
        for mode in MODES:
            p = {"mode": mode, "rows": rows, "cols": cols}
            try:
                if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                    found.append(p)
            except ValueError:
                pass
    return found
