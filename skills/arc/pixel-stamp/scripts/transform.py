"""Paint a learned pattern around every lone pixel of a colour (a stamp per colour)."""
import numpy as np

PARAMS = []


def _sources(g, color, isolated, bg):
    ys, xs = np.nonzero(g == color)
    if not isolated:
        return list(zip(ys.tolist(), xs.tolist()))
    c = np.pad(g != bg, 1).astype(np.int8)
    h, w = g.shape
    n = sum(c[1 + dy:1 + dy + h, 1 + dx:1 + dx + w] for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    keep = n[ys, xs] == 1
    return list(zip(ys[keep].tolist(), xs[keep].tolist()))


def transform(grid, stamps=None, isolated=True, bg=0):
    """``stamps``: colour (as a string; ``"*"``: any colour) -> list of ``[dy, dx, colour]`` painted around
    each source pixel of that colour (a lone pixel when ``isolated``); cells outside the grid are skipped."""
    g = np.asarray(grid)
    out = g.copy()
    h, w = g.shape
    for key, cells in (stamps or {}).items():
        colors = [int(v) for v in np.unique(g) if v != bg] if key == "*" else [int(key)]
        for y, x in (yx for c in colors for yx in _sources(g, c, isolated, bg)):
            for dy, dx, c in cells:
                r, q = y + dy, x + dx
                if 0 <= r < h and 0 <= q < w:
                    out[r, q] = c
    return out


def _learn(pairs, radius, isolated, bg):
    """Per colour, the offsets around its sources that change, and the one colour each takes (None: a
    conflict). Vectorised over sources and offsets."""
    offs = [(dy, dx) for dy in range(-radius, radius + 1) for dx in range(-radius, radius + 1)]
    dy = np.array([o[0] for o in offs])
    dx = np.array([o[1] for o in offs])
    lo, hi, changed = {}, {}, {}
    for a, b in pairs:
        h, w = a.shape
        for color in np.unique(a).tolist():
            if color == bg:
                continue
            src = _sources(a, color, isolated, bg)
            if not src:
                continue
            ys, xs = (np.array(v) for v in zip(*src))
            r, q = ys[:, None] + dy[None, :], xs[:, None] + dx[None, :]
            inside = (r >= 0) & (r < h) & (q >= 0) & (q < w)
            rc, qc = np.clip(r, 0, h - 1), np.clip(q, 0, w - 1)
            vals = b[rc, qc]
            mn = np.where(inside, vals, 99).min(axis=0)
            mx = np.where(inside, vals, -1).max(axis=0)
            ch = (inside & (a[rc, qc] != vals)).any(axis=0)
            if color in lo:
                lo[color], hi[color], changed[color] = np.minimum(lo[color], mn), np.maximum(hi[color], mx), changed[color] | ch
            else:
                lo[color], hi[color], changed[color] = mn, mx, ch
    stamps = {}
    for color, ch in changed.items():
        if not ch.any():
            continue
        if (lo[color][ch] != hi[color][ch]).any():
            return None  # a changed offset takes different colours around different sources
        stamps[str(color)] = [[int(dy[k]), int(dx[k]), int(lo[color][k])] for k in np.nonzero(ch)[0]]
    return stamps or None

def _reach(a, b, isolated, bg):
    """The smallest radius around the source pixels that covers every changed cell (None: none)."""
    src = [yx for color in np.unique(a).tolist() if color != bg for yx in _sources(a, color, isolated, bg)]
    cy, cx = np.nonzero(a != b)
    if not src or cy.size == 0 or len(src) * cy.size > 250_000:
        return None
    sy, sx = (np.array(v) for v in zip(*src))
    d = np.maximum(np.abs(cy[:, None] - sy[None, :]), np.abs(cx[:, None] - sx[None, :]))
    return int(d.min(axis=1).max())


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs):
        return []
    table = {}
    if all(table.setdefault(u, v) == v for a, b in pairs for u, v in zip(a.ravel().tolist(), b.ravel().tolist())):
        return []  # a plain colour map (color-map's job)
    for isolated in (True, False):
        reach = [_reach(a, b, isolated, 0) for a, b in pairs]
        if any(r is None for r in reach) or max(reach) > 3:  # type: ignore[type-var]
            continue
        stamps = _learn(pairs, max(reach), isolated, 0)  # type: ignore[type-var]
        if stamps is None:
            continue
        found = []
        cells = list(stamps.values())
        if len(cells) >= 2 and all(c == cells[0] for c in cells):
            # every colour seen stamps the same pattern: a rule for any colour, also one unseen in the examples
            found.append({"stamps": {"*": cells[0]}, "isolated": isolated, "bg": 0})
        found.append({"stamps": stamps, "isolated": isolated, "bg": 0})
        found = [p for p in found if all(np.array_equal(transform(a, **p), b) for a, b in pairs)]
        if found:
            return found
    return []
