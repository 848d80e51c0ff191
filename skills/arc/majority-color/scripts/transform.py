"""Find the most or least common non-background colour."""
import numpy as np

PARAMS = [{"which": w, "output": o} for w in ("most", "least") for o in ("cell", "recolor")]


def transform(grid, which="most", output="cell"):
    g = np.asarray(grid)
    vals, counts = np.unique(g[g != 0], return_counts=True)
    if vals.size == 0:
        return g.copy()
    pick = vals[np.argmax(counts)] if which == "most" else vals[np.argmin(counts)]
    if output == "cell":
        return np.array([[pick]], dtype=g.dtype)
    out = g.copy()
    out[g != 0] = pick
    return out
