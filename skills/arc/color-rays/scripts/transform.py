"""Shoot rays from the pixels of each colour in directions learned per colour, to the border or an obstacle."""
from itertools import permutations

import numpy as np

PARAMS = []
DIRS = {"u": (-1, 0), "d": (1, 0), "l": (0, -1), "r": (0, 1), "ul": (-1, -1), "ur": (-1, 1), "dl": (1, -1), "dr": (1, 1)}
MAX_SOURCES = 40


def _ray(g, y, x, d, stop, bg, target=None):
    """Background cells on the ray from (y, x) in direction ``d`` (not the source)."""
    dy, dx = DIRS[d]
    h, w = g.shape
    cells = []
    y, x = y + dy, x + dx
    while 0 <= y < h and 0 <= x < w:
        if g[y, x] != bg:
            if stop == "hit" and target is not None and g[y, x] != target:
                return []
            if stop != "border":
                return cells
        else:
            cells.append((y, x))
        y, x = y + dy, x + dx
    return [] if stop == "hit" else cells


def transform(grid, rays=None, stop="border", bg=0, target=None):
    """``rays``: ordered ``[colour, [directions]]`` (``u d l r ul ur dl dr``); every pixel of that colour
    (``"*"``: of any colour) paints its colour over the background along each direction, up to the border (``stop="border"``,
    passing coloured cells) or the first coloured cell (``"obstacle"``; ``"hit"``: only rays that reach a
    coloured cell, of colour ``target`` when given, are drawn); later entries paint over earlier rays."""
    g = np.asarray(grid)
    out = g.copy()
    for color, dirs in rays or []:
        src = g != bg if color == "*" else g == color
        ys, xs = np.nonzero(src)
        if ys.size > MAX_SOURCES:
            raise ValueError("too many sources")
        for y, x in zip(ys.tolist(), xs.tolist()):
            for d in dirs:
                for cell in _ray(g, y, x, d, stop, bg, target):
                    out[cell] = g[y, x]
    return out


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.shape != b.shape for a, b in pairs) or all(np.array_equal(a, b) for a, b in pairs):
        return []
    if any(((a != b) & (a != 0)).any() for a, b in pairs):
        return []  # rays only paint the background
    if any(int((a != 0).sum()) > 2 * MAX_SOURCES for a, _ in pairs):
        return []  # a busy picture, not dots shooting rays
    found = []
    common = sorted(set.intersection(*[set(np.unique(a).tolist()) for a, _ in pairs]) - {0})
    for stop, target in [("border", None), ("obstacle", None), ("hit", None)] + [("hit", c) for c in common]:
        hit, total = {}, {}
        for a, b in pairs:
            for color in np.unique(a).tolist():
                if color == 0:
                    continue
                ys, xs = np.nonzero(a == color)
                if ys.size > MAX_SOURCES:
                    continue
                for y, x in zip(ys.tolist(), xs.tolist()):
                    for d in DIRS:
                        cells = _ray(a, y, x, d, stop, 0, target)
                        total[(color, d)] = total.get((color, d), 0) + len(cells)
                        hit[(color, d)] = hit.get((color, d), 0) + sum(int(b[c] == color) for c in cells)
        chosen, unseen = {}, {}
        for (color, d), n in total.items():
            if n and hit[(color, d)] * 2 >= n:
                chosen.setdefault(color, []).append(d)
            elif not n:
                unseen.setdefault(color, []).append(d)
        if not chosen:
            continue
        # simplest first: every colour shooting every direction some colour was seen to shoot (a rule for
        # any colour, also one unseen in the examples)
        union = [d for d in DIRS if any(d in v for v in chosen.values())]
        p = {"rays": [["*", union]], "stop": stop, "bg": 0, "target": target}
        try:
            if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                found.append(p)
                if len(found) >= 2:
                    return found
                continue
        except ValueError:
            pass
        colors = sorted(chosen)
        orders = permutations(colors) if len(colors) <= 3 else [colors, colors[::-1]]
        for order in orders:
            p = {"rays": [[c, chosen[c]] for c in order], "stop": stop, "bg": 0, "target": target}
            try:
                if all(np.array_equal(transform(a, **p), b) for a, b in pairs):
                    found.append(p)
                    # directions no train ray could show (no room): a second reading that draws them too
                    if any(unseen.get(c) for c in order):
                        found.append({**p, "rays": [[c, chosen[c] + unseen.get(c, [])] for c in order]})
                    break
            except ValueError:
                break
        if len(found) >= 2:
            return found[:2]
    return found
