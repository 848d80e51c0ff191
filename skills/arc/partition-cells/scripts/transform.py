"""Rewrite the cells of a grid divided by separator lines, keeping its shape: copy or overlay a source cell
into the others, fill the fullest cell, paint cells by their place in the board, or turn the source cell."""
import numpy as np

PARAMS = [{"mode": "copy"}, {"mode": "fullest"}]
#: the 8 orientations of a square (identity first); a non-square cell only has the 4 that keep its shape
ORIENTS = ("id", "r90", "r180", "r270", "fliplr", "flipud", "transpose", "antitranspose")


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


def board(g, bg=0):
    """(separator colour, row spans, column spans) of the finest split by full lines of one colour other
    than the background, or None."""
    h, w = g.shape
    found = []
    for sep in np.unique(g):
        if sep == bg:
            continue
        rows = (g == sep).all(axis=1)
        cols = (g == sep).all(axis=0)
        if (not rows.any() and not cols.any()) or rows.all() or cols.all():
            continue
        rs, cs = _spans(rows, h), _spans(cols, w)
        if len(rs) * len(cs) >= 2:
            # a colour found only on its full lines is a cleaner separator than one also drawn inside the cells
            pure = int((g == sep).sum()) == int(rows.sum()) * w + int(cols.sum()) * h - int(rows.sum()) * int(cols.sum())
            found.append((pure, len(rs) * len(cs), int(sep), rs, cs))
    if not found:
        return None
    best = max(found, key=lambda f: (f[0], f[1], -f[2]))
    return best[2], best[3], best[4]


def _orient(a, name):
    return {"id": a, "r90": np.rot90(a, -1), "r180": np.rot90(a, 2), "r270": np.rot90(a, 1), "fliplr": a[:, ::-1],
            "flipud": a[::-1], "transpose": a.T, "antitranspose": np.rot90(a, 2).T}[name]


def _role(i, n):
    """A cell's place along one axis: first, last, the middle one (odd count), or other."""
    if i == 0:
        return "first"
    if i == n - 1:
        return "last"
    if n % 2 == 1 and i == n // 2:
        return "mid"
    return "other"


def _source(cells, bg, select):
    """Index of the source cell: the only non-empty one, the fullest, the emptiest, the first in reading
    order, or (``select`` an int) the only one holding that colour."""
    counts = [int((c != bg).sum()) for c in cells]
    if select == "first":
        return 0
    if isinstance(select, int):
        hits = [i for i, c in enumerate(cells) if (c == select).any()]
        if len(hits) != 1:
            raise ValueError("not exactly one cell holds the marker colour")
        return hits[0]
    if select == "fewest":
        low = min(counts)
        if counts.count(low) != 1:
            raise ValueError("no single emptiest cell")
        return counts.index(low)
    if select == "only":
        filled = [i for i, n in enumerate(counts) if n]
        if len(filled) != 1:
            raise ValueError("not exactly one non-empty cell")
        return filled[0]
    top = max(counts)
    if counts.count(top) != 1:
        raise ValueError("no single fullest cell")
    return counts.index(top)


def transform(grid, mode="copy", select="only", color=None, table=None, orients=None, bg=0):
    g = np.asarray(grid)
    b = board(g, bg)
    if b is None:
        raise ValueError("no separator lines")
    sep, rs, cs = b
    boxes = [(r0, r1, c0, c1) for r0, r1 in rs for c0, c1 in cs]
    cells = [g[r0:r1, c0:c1] for r0, r1, c0, c1 in boxes]
    out = g.copy()
    if mode == "fullest":  # the cell(s) with most coloured pixels filled with their colour, the others cleared
        counts = [int((c != bg).sum()) for c in cells]
        top = max(counts)
        for (r0, r1, c0, c1), c, n in zip(boxes, cells, counts):
            cols = [v for v in np.unique(c) if v != bg]
            out[r0:r1, c0:c1] = cols[0] if n == top and len(cols) == 1 else bg
        return out
    if mode == "position":  # each cell filled by the colour its (row role, column role) takes in the examples
        for i, (r0, r1) in enumerate(rs):
            for j, (c0, c1) in enumerate(cs):
                key = _role(i, len(rs)) + "," + _role(j, len(cs))
                if table and key in table:
                    out[r0:r1, c0:c1] = int(table[key])
        return out
    src = cells[_source(cells, bg, select)]
    if mode in ("expand", "place"):
        if src.shape != (len(rs), len(cs)):
            raise ValueError("the source cell's size is not the board's")
        for i, (r0, r1) in enumerate(rs):
            for j, (c0, c1) in enumerate(cs):
                if mode == "expand":  # cell (i, j) filled with the source's pixel (i, j)
                    out[r0:r1, c0:c1] = src[i, j]
                else:  # the source moves to the cell its marker pixel points at; every other cell is cleared
                    hit = src[i, j] == select
                    if hit and src.shape != (r1 - r0, c1 - c0):
                        raise ValueError("cell shapes differ")
                    out[r0:r1, c0:c1] = src if hit else bg
        return out
    for k, ((r0, r1, c0, c1), c) in enumerate(zip(boxes, cells)):
        if mode == "orient":
            name = (orients or [])[k] if k < len(orients or []) else "id"
            piece = _orient(src, name)
            if piece.shape != c.shape:
                raise ValueError("cell shapes differ")
            out[r0:r1, c0:c1] = piece
            continue
        if src.shape != c.shape:
            raise ValueError("cell shapes differ")
        if mode == "copy":
            out[r0:r1, c0:c1] = src
        else:  # overlay: the source's coloured cells painted onto empty cells, in the separator colour or a learned one
            paint = sep if color is None else int(color)
            block = c.copy()
            block[(src != bg) & (c == bg)] = paint
            out[r0:r1, c0:c1] = block
    return out


def _ok(pairs, p):
    for a, b in pairs:
        try:
            if not np.array_equal(transform(a, **p), b):
                return False
        except (ValueError, IndexError):
            return False
    return True


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs) or any(board(a) is None for a, _ in pairs):
        return []
    if all(np.array_equal(a, b) for a, b in pairs):
        return []
    out = []
    for select in ("only", "fullest", "first"):
        for mode in ("copy", "overlay"):
            p = {"mode": mode, "select": select}
            if _ok(pairs, p):
                out.append(p)
        p = _fit_orient(pairs, select)
        if p is not None:
            out.append(p)
    if _ok(pairs, {"mode": "fullest"}):
        out.append({"mode": "fullest"})
    for select in ("fewest", "fullest", "only"):
        if _ok(pairs, {"mode": "expand", "select": select}):
            out.append({"mode": "expand", "select": select})
    common = set.intersection(*[{int(v) for v in np.unique(a)} for a, _ in pairs]) - {0}
    for m in sorted(common):
        if _ok(pairs, {"mode": "place", "select": m}):
            out.append({"mode": "place", "select": m})
    p = _fit_position(pairs)
    if p is not None:
        out.append(p)
    return out[:4]


def _fit_orient(pairs, select):
    """One orientation per cell index, the same in every example (all examples must have the same board size)."""
    names = None
    for a, b in pairs:
        sep, rs, cs = board(a)
        boxes = [(r0, r1, c0, c1) for r0, r1 in rs for c0, c1 in cs]
        cells = [a[r0:r1, c0:c1] for r0, r1, c0, c1 in boxes]
        try:
            src = cells[_source(cells, 0, select)]
        except ValueError:
            return None
        got = []
        for r0, r1, c0, c1 in boxes:
            want = b[r0:r1, c0:c1]
            ok = [n for n in ORIENTS if _orient(src, n).shape == want.shape and np.array_equal(_orient(src, n), want)]
            if not ok:
                return None
            got.append(ok)
        if names is None:
            names = got
        elif len(names) != len(got):
            return None
        else:
            names = [[n for n in x if n in y] for x, y in zip(names, got)]
            if any(not x for x in names):
                return None
    chosen = [x[0] for x in names]
    if all(n == "id" for n in chosen):
        return None  # plain copy: that is mode "copy"
    p = {"mode": "orient", "select": select, "orients": chosen}
    return p if _ok(pairs, p) else None


def _fit_position(pairs):
    """A table (row role, column role) -> fill colour; only keys seen filled in every example where they occur."""
    table = {}
    for a, b in pairs:
        sep, rs, cs = board(a)
        for i, (r0, r1) in enumerate(rs):
            for j, (c0, c1) in enumerate(cs):
                key = _role(i, len(rs)) + "," + _role(j, len(cs))
                before, after = a[r0:r1, c0:c1], b[r0:r1, c0:c1]
                vals = np.unique(after)
                col = int(vals[0]) if vals.size == 1 and not np.array_equal(before, after) else None
                if table.setdefault(key, col) != col:
                    return None
    table = {k: v for k, v in table.items() if v is not None}
    if not table:
        return None
    p = {"mode": "position", "table": table}
    return p if _ok(pairs, p) else None
