"""Reflect a grid across its main or anti diagonal."""
import numpy as np

PARAMS = [{"diagonal": "main"}, {"diagonal": "anti"}]


def transform(grid, diagonal="main"):
    g = np.asarray(grid)
    return (g.T if diagonal == "main" else g[::-1, ::-1].T).copy()
