"""Reduce a partitioned grid to one pixel per cell (cells between separator lines, or equal blocks)."""
import numpy as np

PARAMS = [{"split": "sep", "rule": "dominant"}]


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


def cell_grid(g, split):
    """Rows of cells: between full separator lines of one colour (``"sep"``) or ``[rows, cols]`` equal blocks."""
    h, w = g.shape
    if split == "sep":
        best = []
        for sep in np.unique(g):
            rows = (g == sep).all(axis=1)
            cols = (g == sep).all(axis=0)
            if (not rows.any() and not cols.any()) or rows.all() or cols.all():
                continue
            cells = [[g[a:b, c:d] for c, d in _spans(cols, w)] for a, b in _spans(rows, h)]
            if sum(len(r) for r in cells) > sum(len(r) for r in best):
                best = cells
        return best
    nr, nc = split
    if h % nr or w % nc:
        return []
    bh, bw = h // nr, w // nc
    return [[g[i * bh:(i + 1) * bh, j * bw:(j + 1) * bw] for j in range(nc)] for i in range(nr)]


def _key(cell, rule, bg):
    fg = cell[cell != bg]
    if rule == "count":
        return str(int(fg.size))
    if rule == "colors":
        return str(len(set(fg.tolist())))
    if fg.size == 0:
        return str(bg)
    vals, counts = np.unique(fg, return_counts=True)
    return str(int(vals[np.argmax(counts)]))


def transform(grid, split="sep", rule="dominant", table=None, bg=0):
    """One pixel per cell: ``rule="dominant"`` its most common non-background colour (``bg`` when empty,
    through ``table`` when given); ``"count"`` / ``"colors"`` its number of coloured cells / colours, mapped
    to a colour by ``table``."""
    g = np.asarray(grid)
    cells = cell_grid(g, split)
    if not cells or len({len(r) for r in cells}) != 1 or len(cells) * len(cells[0]) < 2:
        raise ValueError("no cells")
    out = np.zeros((len(cells), len(cells[0])), dtype=g.dtype)
    for i, row in enumerate(cells):
        for j, cell in enumerate(row):
            k = _key(cell, rule, bg)
            if table is not None:
                if k not in table:
                    raise ValueError("a cell not seen in the examples")
                out[i, j] = table[k]
            else:
                out[i, j] = int(k)
    return out


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    splits = ["sep"]
    a0, b0 = pairs[0]
    if a0.shape[0] % b0.shape[0] == 0 and a0.shape[1] % b0.shape[1] == 0 and a0.shape != b0.shape:
        splits.append([a0.shape[0] // b0.shape[0], a0.shape[1] // b0.shape[1]])
    found = []
    for split in splits:
        grids = [cell_grid(a, split) for a, _ in pairs]
        if any(not c or (len(c), len(c[0])) != b.shape or len({len(r) for r in c}) != 1 for c, (_, b) in zip(grids, pairs)):
            continue
        for bg in (0, int(np.bincount(np.concatenate([a.ravel() for a, _ in pairs])).argmax())):
            for rule in ("dominant", "count", "colors"):
                table, ok = {}, True
                for cells, (_, b) in zip(grids, pairs):
                    for i, row in enumerate(cells):
                        for j, cell in enumerate(row):
                            if table.setdefault(_key(cell, rule, bg), int(b[i, j])) != int(b[i, j]):
                                ok = False
                if not ok:
                    continue
                plain = rule == "dominant" and all(k == str(v) for k, v in table.items())
                p = {"split": split, "rule": rule, "table": None if plain else table, "bg": bg}
                if p not in found:
                    found.append(p)
            if bg == 0:
                continue
    return found[:3]
