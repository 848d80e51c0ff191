"""Scale a grid up or down by a whole factor."""
import numpy as np

PARAMS = [{"factor": f} for f in (2, 3, 4, 5, -2, -3, -4, -5, "colors")]


def transform(grid, factor=2):
    g = np.asarray(grid)
    if factor == "colors":  # as many times as the grid has non-background colours
        factor = max(1, len(set(np.unique(g).tolist()) - {0}))
    if factor > 0:
        return np.kron(g, np.ones((factor, factor), dtype=g.dtype))
    k = -factor
    h, w = g.shape
    if h % k or w % k:
        return g.copy()
    blocks = g.reshape(h // k, k, w // k, k)
    counts = np.stack([(blocks == v).sum(axis=(1, 3)) for v in range(10)])
    return np.argmax(counts, axis=0).astype(g.dtype)
