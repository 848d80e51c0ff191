"""Answer with one of the example outputs, chosen by a simple property of the whole input grid."""
import numpy as np

PARAMS = []
FEATURES = ("n_colors", "colors", "top_color", "rare_color", "n_cells", "n_objects", "sym_lr", "sym_ud", "sym_both")


def _objects(g, bg):
    """Number of 4-connected same-colour components of non-background cells."""
    h, w = g.shape
    seen = np.zeros(g.shape, dtype=bool)
    n = 0
    for y in range(h):
        for x in range(w):
            if seen[y, x] or g[y, x] == bg:
                continue
            n += 1
            stack = [(y, x)]
            seen[y, x] = True
            while stack:
                a, b = stack.pop()
                for r, c in ((a + 1, b), (a - 1, b), (a, b + 1), (a, b - 1)):
                    if 0 <= r < h and 0 <= c < w and not seen[r, c] and g[r, c] == g[y, x]:
                        seen[r, c] = True
                        stack.append((r, c))
    return n


def feature(g, name, bg=0):
    """The value of property ``name`` of grid ``g`` as a string."""
    fg = g[g != bg]
    if name == "n_colors":
        return str(len(set(fg.tolist())))
    if name == "colors":
        return ",".join(str(c) for c in sorted(set(fg.tolist())))
    if name in ("top_color", "rare_color"):
        if fg.size == 0:
            return "none"
        vals, counts = np.unique(fg, return_counts=True)
        pick = counts.max() if name == "top_color" else counts.min()
        if (counts == pick).sum() != 1:
            return "tie"
        return str(int(vals[counts == pick][0]))
    if name == "n_cells":
        return str(int(fg.size))
    if name == "n_objects":
        return str(_objects(g, bg))
    lr, ud = bool(np.array_equal(g, g[:, ::-1])), bool(np.array_equal(g, g[::-1]))
    return str({"sym_lr": lr, "sym_ud": ud, "sym_both": lr and ud}[name])


def transform(grid, feature_name="n_colors", table=None, bg=0):
    """The output that ``table`` (property value -> grid, learned from the examples) gives for the
    input's ``feature_name``; a value never seen in the examples makes it inapplicable."""
    g = np.asarray(grid)
    out = (table or {}).get(feature(g, feature_name, bg))
    if out is None:
        raise ValueError("a property value not seen in the examples")
    return np.array(out, dtype=g.dtype)


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    outs = {b.tobytes() + bytes(str(b.shape), "ascii") for _, b in pairs}
    # a rule needs two outputs and some output shared by two examples (else it could only memorise)
    if len(outs) < 2 or len(outs) == len(pairs) or any(b.size > 100 for _, b in pairs):
        return []
    found = []
    for name in FEATURES:
        table, ok = {}, True
        for a, b in pairs:
            key = feature(a, name)
            if key == "tie":
                ok = False
                break
            prev = table.setdefault(key, b.tolist())
            if prev != b.tolist():
                ok = False
                break
        # at least two outputs, and some value seen twice: a rule, not a memorised list of the examples
        if ok and 2 <= len(table) < len(pairs):
            found.append({"feature_name": name, "table": table, "bg": 0})
            if len(found) >= 2:
                break
    return found
