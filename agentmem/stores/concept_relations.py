"""Relations between concepts: ``uses``, ``specialises``, ``often_used_with``.

A routine may *use* another (a helper it calls), *specialise* a more general concept, or be
*often used with* one (concepts abstracted from the same solutions). The relations form a
networkx multi-digraph saved as node-link JSON (``relations.json``; ``often_used_with`` is
stored in both directions with a co-occurrence ``weight``). Selecting a concept can pull in
the helpers it needs: :meth:`ConceptRelations.helpers` follows ``uses`` edges transitively.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from ..errors import StoreError
from ..fileio import FileHistory, atomic_write_json, read_json

RelationKind = Literal["uses", "specialises", "often_used_with"]
KINDS: tuple[str, ...] = ("uses", "specialises", "often_used_with")


class ConceptRelations:
    """The relation graph of one concept memory, loaded from and saved to ``path``."""

    def __init__(self, path: Path) -> None:
        import networkx as nx

        self.path = Path(path)
        self.history = FileHistory(self.path.parent)
        data = read_json(self.path, None)
        if data is None:
            self.graph = nx.MultiDiGraph()
        else:
            try:
                self.graph = nx.node_link_graph(data, directed=True, multigraph=True, edges="edges")
            except (KeyError, TypeError, nx.NetworkXError) as exc:
                raise StoreError(f"{self.path}: not a node-link relation graph ({exc})") from exc

    def save(self, note: str = "") -> None:
        """Write the graph atomically (previous bytes kept in history). Caller holds the lock."""
        import networkx as nx

        if self.path.exists():
            self.history.save("relations.json", self.path.read_bytes(), note=note)
        atomic_write_json(self.path, nx.node_link_data(self.graph, edges="edges"))

    def _edge_key(self, a: str, b: str, kind: str) -> Any:
        for key, data in (self.graph.get_edge_data(a, b) or {}).items():
            if data.get("kind") == kind:
                return key
        return None

    def add(self, a: str, b: str, kind: RelationKind, weight: float = 1.0) -> None:
        """Add (or strengthen) the relation ``a -kind-> b``; ``often_used_with`` goes both ways."""
        if kind not in KINDS:
            raise ValueError(f"relation kind must be one of {KINDS}, got {kind!r}")
        if a == b:
            return
        pairs = [(a, b), (b, a)] if kind == "often_used_with" else [(a, b)]
        for x, y in pairs:
            self.graph.add_node(x)
            self.graph.add_node(y)
            key = self._edge_key(x, y, kind)
            if key is None:
                self.graph.add_edge(x, y, kind=kind, weight=weight)
            else:
                self.graph.edges[x, y, key]["weight"] = self.graph.edges[x, y, key].get("weight", 1.0) + weight

    def related(self, name: str, kind: RelationKind | None = None) -> list[tuple[str, str, float]]:
        """Outgoing relations of ``name``: ``(other, kind, weight)``, strongest first."""
        if name not in self.graph:
            return []
        out = [(b, d.get("kind", ""), float(d.get("weight", 1.0))) for _, b, d in self.graph.out_edges(name, data=True) if kind is None or d.get("kind") == kind]
        return sorted(out, key=lambda t: (-t[2], t[0]))

    def helpers(self, names: list[str], depth: int = 2) -> list[str]:
        """Concepts reached from ``names`` by ``uses`` edges within ``depth`` hops, not in ``names``, in discovery order."""
        seen = list(dict.fromkeys(names))
        frontier = list(seen)
        found: list[str] = []
        for _ in range(max(0, depth)):
            nxt = []
            for n in frontier:
                for other, _, _ in self.related(n, "uses"):
                    if other not in seen:
                        seen.append(other)
                        found.append(other)
                        nxt.append(other)
            frontier = nxt
        return found

    def remove_node(self, name: str) -> None:
        if name in self.graph:
            self.graph.remove_node(name)

    def edges(self) -> list[dict[str, Any]]:
        return [{"source": a, "target": b, "kind": d.get("kind"), "weight": d.get("weight", 1.0)} for a, b, d in self.graph.edges(data=True)]
