"""Recolour by colour *roles* instead of fixed colours: colours named by how common they are in each grid
(or a fixed colour plus "the other one"), so a swap learned on some colours applies to unseen ones."""
import numpy as np

PARAMS = []


def _ranks(g, key="rank"):
    """Colours of ``g`` (``rank``: other than the background 0) from most to least common (ties: smaller colour first)."""
    vals, counts = np.unique(g[g != 0] if key == "rank" else g, return_counts=True)
    return [int(v) for _, v in sorted(zip(-counts, vals))]


def _role_of(c, g, key, fixed):
    if key in ("rank", "rankall"):
        if c == 0 and key == "rank":
            return "0"  # the background keeps its own name
        counts = dict(zip(*np.unique(g[g != 0] if key == "rank" else g, return_counts=True)))
        if list(counts.values()).count(counts[c]) > 1:
            raise ValueError("two colours equally common: no rank")
        return "r" + str(_ranks(g, key).index(c))
    return str(c) if c in fixed else "other"


def _value(role, g, key, fixed):
    """The colour a role names in grid ``g`` (None when the grid has no such colour)."""
    if role.startswith("="):
        return int(role[1:])
    if key in ("rank", "rankall"):
        if role == "0":
            return 0
        r = _ranks(g, key)
        i = int(role[1:])
        return r[i] if i < len(r) else None
    others = [c for c in _ranks(g) if c not in fixed]
    if role == "other":
        return others[0] if len(others) == 1 else None
    return int(role)


def transform(grid, key="rank", table=None, fixed=()):
    """``table``: input role -> output role (``=c`` a literal colour, ``r<i>`` the i-th commonest colour,
    ``other`` the one colour outside ``fixed``)."""
    g = np.asarray(grid)
    fixed = {int(c) for c in fixed}
    out = g.copy()
    for c in np.unique(g):
        c = int(c)
        src = _role_of(c, g, key, fixed)
        if src == "other" and len([v for v in np.unique(g) if int(v) not in fixed]) != 1:
            raise ValueError("more than one colour outside the fixed ones")
        if table and src in table:
            v = _value(table[src], g, key, fixed)
            if v is None:
                raise ValueError("role names no colour here")
            out[g == c] = v
    return out


def _learn(pairs, key, fixed):
    """The role table explaining every pair, roles preferred over literal colours; None when there is none."""
    table = {}
    for a, b in pairs:
        for c in np.unique(a):
            targets = np.unique(b[a == c])
            if targets.size != 1:
                return None
            t = int(targets[0])
            src = _role_of(int(c), a, key, set(fixed))
            # every reading of the target colour in this grid: a role it plays, or the literal colour
            reads = {"=" + str(t)}
            if key in ("rank", "rankall") and t in _ranks(a, key):
                reads.add("r" + str(_ranks(a, key).index(t)))
            if key == "rank" and t == 0:
                reads.add("0")
            if key == "fixed" and t in np.unique(a) and t not in fixed:
                reads.add("other")
            table[src] = table[src] & reads if src in table else reads
            if not table[src]:
                return None
    chosen = {s: sorted(r, key=lambda x: (x.startswith("="), x))[0] for s, r in table.items()}
    chosen = {s: r for s, r in chosen.items() if not (r.startswith("=") and key == "fixed" and s == r[1:])}
    if key in ("rank", "rankall"):
        chosen = {s: r for s, r in chosen.items() if r != s}
    if not chosen or (key == "fixed" and all(r.startswith("=") for r in chosen.values())):
        return None  # fixed colours to fixed colours is a plain colour map
    return chosen


def _reproduces(pairs, p):
    try:
        return all(np.array_equal(transform(a, **p), b) for a, b in pairs)
    except ValueError:
        return False


def fit(train_pairs):
    pairs = [(np.asarray(a), np.asarray(b)) for a, b in train_pairs]
    if len(pairs) < 2 or any(a.shape != b.shape for a, b in pairs):
        return []
    common = set.intersection(*[{int(v) for v in np.unique(a)} for a, _ in pairs])
    out = []
    for key in ("fixed", "rank", "rankall"):
        fixed = sorted(common) if key == "fixed" else []
        if key == "fixed" and not all(len(set(np.unique(a).tolist()) - set(fixed)) == 1 for a, _ in pairs):
            continue
        chosen = _learn(pairs, key, fixed)
        if chosen is None:
            continue
        p = {"key": key, "table": chosen, "fixed": fixed}
        if not _reproduces(pairs, p):
            continue
        # leave one out: the table learned from the other pairs must reproduce the held-out pair
        loo = [_learn(pairs[:i] + pairs[i + 1:], key, fixed) for i in range(len(pairs))]
        if all(t is not None and _reproduces([pairs[i]], {"key": key, "table": t, "fixed": fixed}) for i, t in enumerate(loo)):
            out.append(p)
    return out
