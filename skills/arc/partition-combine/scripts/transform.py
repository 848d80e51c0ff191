"""Split a grid into equal parts (at separator lines or into equal blocks) and combine them cell by cell."""
from itertools import permutations

import numpy as np

PARAMS = []


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


def parts(g, split, mirror=False):
    """The parts of ``g``: ``split`` is ``"sep"`` (between full separator lines), ``[rows, cols]`` equal blocks
    or ``["corners", h, w]`` the four h x w corner blocks (they may overlap);
    ``mirror``: parts in odd block columns are flipped left-right and in odd block rows upside down (folding)."""
    grid = _part_grid(g, split)
    if mirror:
        grid = [[p[::-1] if i % 2 else p for p in row] for i, row in enumerate(grid)]
        grid = [[p[:, ::-1] if j % 2 else p for j, p in enumerate(row)] for row in grid]
    return [p for row in grid for p in row]


def _part_grid(g, split):
    h, w = g.shape
    if split == "sep":
        best = []
        for sep in np.unique(g):
            rows = (g == sep).all(axis=1)
            cols = (g == sep).all(axis=0)
            if (not rows.any() and not cols.any()) or rows.all() or cols.all():
                continue
            out = [[g[a:b, c:d] for c, d in _spans(cols, w)] for a, b in _spans(rows, h)]
            flat = [p for row in out for p in row]
            if len(flat) >= 2 and len({p.shape for p in flat}) == 1 and len(flat) > sum(len(r) for r in best):
                best = out
        return best
    if split[0] == "corners":  # four (possibly overlapping) corner blocks of a fixed size
        bh, bw = split[1], split[2]
        if bh > h or bw > w:
            return []
        return [[g[:bh, :bw], g[:bh, w - bw:]], [g[h - bh:, :bw], g[h - bh:, w - bw:]]]
    nr, nc = split
    if h % nr or w % nc:
        return []
    bh, bw = h // nr, w // nc
    return [[g[i * bh:(i + 1) * bh, j * bw:(j + 1) * bw] for j in range(nc)] for i in range(nr)]


def _combine(stack, rule, bg):
    kind = rule[0]
    if kind == "priority":
        out = np.full(stack.shape[1:], bg, dtype=stack.dtype)
        for k in reversed(rule[1]):
            p = stack[k]
            out[p != bg] = p[p != bg]
        return out
    table = rule[1]
    keys = (stack != bg) if kind == "mask" else stack
    flat = keys.reshape(len(stack), -1).T
    out = np.empty(flat.shape[0], dtype=stack.dtype)
    for i, key in enumerate(flat):
        v = table.get(",".join(str(int(x)) for x in key))
        if v is None:
            raise ValueError("a combination not seen in the examples")
        out[i] = v
    return out.reshape(stack.shape[1:])


def transform(grid, split="sep", rule="priority", order=None, table=None, bg=0, mirror=False):
    """``rule``: ``priority`` (first non-background part in ``order`` wins), ``mask`` (which parts are
    coloured -> colour, from ``table``) or ``colors`` (the parts' colours -> colour, from ``table``)."""
    g = np.asarray(grid)
    ps = parts(g, split, mirror)
    if not ps:
        raise ValueError("the grid does not split that way")
    stack = np.stack(ps)
    if rule == "priority":
        order = list(range(len(ps))) if order is None else order
        if sorted(order) != list(range(len(ps))):
            raise ValueError("order does not match the parts")
        return _combine(stack, ("priority", order), bg)
    return _combine(stack, (rule, table or {}), bg)


def _splits(pairs):
    """Split settings under which every input falls into parts of its output's shape."""
    found = []
    a0, b0 = pairs[0]
    cands: list = ["sep"]
    if a0.shape[0] % b0.shape[0] == 0 and a0.shape[1] % b0.shape[1] == 0:
        cands.append([a0.shape[0] // b0.shape[0], a0.shape[1] // b0.shape[1]])
    smaller = all(b.shape[0] < a.shape[0] and b.shape[1] < a.shape[1] for a, b in pairs)
    if smaller and len({b.shape for _, b in pairs}) == 1 and min(b0.shape) >= 2:
        cands.append(["corners", b0.shape[0], b0.shape[1]])
    for split in cands:
        if split != "sep" and split == [1, 1]:
            continue
        for mirror in (False,) if split[0] == "corners" else (False, True):
            stacks = []
            for a, b in pairs:
                ps = parts(a, split, mirror)
                if not ps or ps[0].shape != b.shape:
                    break
                stacks.append(np.stack(ps))
            else:
                if len({s.shape[0] for s in stacks}) == 1:
                    found.append((split, mirror, stacks))
    return found


def _table(stacks, outs, kind, bg):
    table = {}
    for s, o in zip(stacks, outs):
        keys = (s != bg) if kind == "mask" else s
        for key, v in zip(keys.reshape(len(s), -1).T, o.ravel()):
            k = ",".join(str(int(x)) for x in key)
            if table.setdefault(k, int(v)) != int(v):
                return None
    return table


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if any(a.size <= b.size for a, b in pairs):
        return []
    out = []
    for split, mirror, stacks in _splits(pairs):
        outs = [b for _, b in pairs]
        n = stacks[0].shape[0]
        bgs = sorted({0, int(np.bincount(np.concatenate([s.ravel() for s in stacks])).argmax())})
        for bg in bgs:
            orders = list(permutations(range(n))) if n <= 4 else [tuple(range(n)), tuple(reversed(range(n)))]
            for order in orders:
                if all(np.array_equal(_combine(s, ("priority", list(order)), bg), o) for s, o in zip(stacks, outs)):
                    out.append({"split": split, "rule": "priority", "order": list(order), "table": None, "bg": bg, "mirror": mirror})
                    break
            # a table over many parts is a list of the examples' cells, not a rule: at most four parts
            for kind in () if n > 4 else ("mask",) if mirror else ("mask", "colors"):
                table = _table(stacks, outs, kind, bg)
                if table is not None:
                    out.append({"split": split, "rule": kind, "order": None, "table": table, "bg": bg, "mirror": mirror})
    return out[:4]
