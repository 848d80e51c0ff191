"""Object-location and appliance knowledge for ALFWorld, stored as concepts.

One concept per object type, ``alfworld-where-<type>`` (``alfworld-where-mug``), in the
concept memory. Each game adds one implementation note per object type it showed:

    [3f9a2c] found: countertop, coffeemachine | not found: drawer, fridge

"found" lists the receptacle types where an object of that type was seen; "not found" the
types whose contents were seen without one. :func:`parse_place_notes` turns the notes into
decayed counts (a note's weight is ``decay`` to the power of the number of newer notes, so
old evidence fades), and :meth:`PlaceStats.p` into the chance that a receptacle type holds
the object: ``(found + prior * strength) / (found + missed + strength)``.
:func:`rank_receptacles` orders a room's receptacles for a search: by that chance divided by
the number of instances of the type in the room (each cabinet of ten is worth a tenth),
room order breaking ties; with no stats it is room order.

``alfworld-appliance-<verb>`` concepts (``alfworld-appliance-heat``) collect, one note per
game, the receptacle type where cleaning/heating/cooling worked.
"""

from __future__ import annotations

import hashlib
import re

from pydantic import BaseModel, Field

from agentmem.evals.alfworld.tracker import otype

WHERE = "alfworld-where-"
APPLIANCE = "alfworld-appliance-"
_NOTE = re.compile(r"^\[(\w+)\] found: (.*?) \| not found: (.*)$")
_APPLIANCE_NOTE = re.compile(r"^\[(\w+)\] (\w+) worked with: (.+)$")


def where_concept(obj_type: str) -> str:
    return f"{WHERE}{obj_type}"


def appliance_concept(verb: str) -> str:
    return f"{APPLIANCE}{verb}"


def game_key(game_id: str) -> str:
    """A short stable key for a game (notes carry it so one game counts once per concept)."""
    return hashlib.sha1(game_id.encode("utf-8")).hexdigest()[:8]


def _names(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip() and x.strip() != "-"]


def place_note(key: str, found: list[str], missed: list[str]) -> str:
    return f"[{key}] found: {', '.join(sorted(found)) or '-'} | not found: {', '.join(sorted(missed)) or '-'}"


def appliance_note(key: str, verb: str, kinds: list[str]) -> str:
    return f"[{key}] {verb} worked with: {', '.join(sorted(kinds))}"


class PlaceStats(BaseModel):
    """Decayed found / not-found counts of one object type per receptacle type."""

    obj: str
    found: dict[str, float] = Field(default_factory=dict)
    missed: dict[str, float] = Field(default_factory=dict)
    games: int = 0

    def p(self, rtype: str, prior: float = 0.15, strength: float = 1.0) -> float:
        f, m = self.found.get(rtype, 0.0), self.missed.get(rtype, 0.0)
        return (f + prior * strength) / (f + m + strength)

    def summary(self, k: int = 6) -> str:
        """'mug: countertop 5.2/6.0, cabinet 2.0/5.1; rarely: drawer 0/4.0' (found/looked, decayed)."""
        kinds = sorted(set(self.found) | set(self.missed), key=lambda t: (-self.p(t), t))
        good = [t for t in kinds if self.found.get(t, 0) > 0][:k]
        bad = [t for t in kinds if self.found.get(t, 0) == 0 and self.missed.get(t, 0) >= 1][:k]
        fmt = lambda t: f"{t} {self.found.get(t, 0.0):.1f}/{self.found.get(t, 0.0) + self.missed.get(t, 0.0):.1f}"
        parts = [f"{self.obj} was found in {', '.join(map(fmt, good)) or 'no place yet'} (found/looked, over {self.games} games)"]
        if bad:
            parts.append(f"never in {', '.join(map(fmt, bad))}")
        return "; ".join(parts) + "."


def parse_place_notes(obj: str, notes: list[str], decay: float = 0.97) -> PlaceStats:
    """Decayed counts from a where-concept's notes (lines that are not notes are ignored)."""
    rows = []
    for note in notes:
        for line in note.splitlines():
            m = _NOTE.match(line.strip())
            if m:
                rows.append((_names(m.group(2)), _names(m.group(3))))
    stats = PlaceStats(obj=obj, games=len(rows))
    for age, (found, missed) in enumerate(reversed(rows)):
        w = decay**age
        for t in found:
            stats.found[t] = stats.found.get(t, 0.0) + w
        for t in missed:
            stats.missed[t] = stats.missed.get(t, 0.0) + w
    return stats


def parse_appliance_notes(notes: list[str]) -> list[str]:
    """Receptacle types where the verb worked, most often first."""
    counts: dict[str, int] = {}
    for note in notes:
        for line in note.splitlines():
            m = _APPLIANCE_NOTE.match(line.strip())
            if m:
                for t in _names(m.group(3)):
                    counts[t] = counts.get(t, 0) + 1
    return sorted(counts, key=lambda t: (-counts[t], t))


def rank_receptacles(receptacles: list[str], stats: PlaceStats | None) -> list[str]:
    """The room's receptacles in search order (see the module docstring)."""
    if stats is None or not stats.games:
        return list(receptacles)
    n: dict[str, int] = {}
    for r in receptacles:
        n[otype(r)] = n.get(otype(r), 0) + 1
    order = {r: i for i, r in enumerate(receptacles)}
    return sorted(receptacles, key=lambda r: (-stats.p(otype(r)) / n[otype(r)], order[r]))


class GameEvidence(BaseModel):
    """What one game showed about places: per object type, the receptacle types it was and was not in."""

    key: str
    places: dict[str, tuple[list[str], list[str]]] = Field(default_factory=dict, description="object type -> (found types, not-found types)")
    appliances: dict[str, list[str]] = Field(default_factory=dict, description="verb -> receptacle types where it worked")


def evidence_from(tracker: object, game_id: str, sought: list[str]) -> GameEvidence:
    """Place evidence of a finished game (``tracker``: a :class:`~agentmem.evals.alfworld.tracker.GameTracker`).

    Every object type seen counts, plus the ``sought`` types (the goal's object and lamp)
    even when the game never showed one (then "found" is empty).
    """
    from agentmem.evals.alfworld.tracker import GameTracker

    assert isinstance(tracker, GameTracker)
    examined = {otype(r) for r in tracker.visited}
    places = tracker.object_places()
    ev = GameEvidence(key=game_key(game_id))
    for obj in sorted(set(places) | set(sought)):
        found = sorted({otype(r) for r in places.get(obj, [])})
        ev.places[obj] = (found, sorted(examined - set(found)))
    for verb, _obj, appliance in tracker.treatments:
        kinds = ev.appliances.setdefault(verb, [])
        if otype(appliance) not in kinds:
            kinds.append(otype(appliance))
    return ev
