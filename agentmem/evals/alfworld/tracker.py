"""What an ALFWorld game has shown so far, read from its text alone.

:class:`GameTracker` is fed the first observation, then every ``(command, feedback)`` pair,
and keeps what an attentive player would: the room's receptacles, where the player stands,
what it holds, what was seen in each receptacle, which receptacles are closed, what was
cleaned/heated/cooled and where, whether a lamp was switched on, and which commands did
nothing. It never reads the game's PDDL state or the expert plan. Both the playbook agent
(to decide) and the location learner (to learn from any agent's trajectory) use it.

Example::

    t = GameTracker.start("You are in the middle of a room. ... you see a cabinet 1, a countertop 1 ...")
    t.update("go to countertop 1", "You arrive at countertop 1. On the countertop 1, you see a mug 2.")
    t.contents["countertop 1"]    # ['mug 2']
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

_ROOM = re.compile(r"Looking quickly around you, you see (.+?)\.\s*(?:\n|$)", re.DOTALL)
_SEE = re.compile(r"(?:On|In) the ([a-z]+ \d+), you see (.+?)\.(?:\s|$)")
_IN_IT = re.compile(r"In it, you see (.+?)\.(?:\s|$)")
_CLOSED = re.compile(r"The ([a-z]+ \d+) is closed\.")
_OPEN = re.compile(r"The ([a-z]+ \d+) is open\.")
_TREAT = re.compile(r"^(clean|heat|cool) (.+?) with (.+)$")
NOTHING = "Nothing happens."


def otype(name: str) -> str:
    """``'mug 2'`` -> ``'mug'`` (names without a number are returned unchanged)."""
    head, _, tail = name.rpartition(" ")
    return head if tail.isdigit() else name


def split_items(text: str) -> list[str]:
    """``'a mug 2, a spoon 1, and an apple 3'`` -> ``['mug 2', 'spoon 1', 'apple 3']`` (``'nothing'`` -> [])."""
    text = text.strip()
    if text in ("nothing", ""):
        return []
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+", text)
    out = []
    for p in parts:
        p = re.sub(r"^(?:a|an|the|some)\s+", "", p.strip())
        if p:
            out.append(p)
    return out


class GameTracker(BaseModel):
    """The state of one game as its text reveals it (see the module docstring)."""

    receptacles: list[str] = Field(default_factory=list, description="The room's receptacles, in the order the room lists them.")
    location: str | None = None
    holding: str | None = None
    contents: dict[str, list[str]] = Field(default_factory=dict, description="Receptacle -> objects seen in it (updated by take and put).")
    visited: list[str] = Field(default_factory=list, description="Receptacles whose contents were seen.")
    closed: list[str] = Field(default_factory=list, description="Receptacles seen closed and not opened since.")
    treated: list[str] = Field(default_factory=list, description="Objects cleaned, heated or cooled.")
    treatments: list[tuple[str, str, str]] = Field(default_factory=list, description="(verb, object, appliance) that worked.")
    delivered: list[str] = Field(default_factory=list, description="Objects put somewhere by the player.")
    taken_from: dict[str, str] = Field(default_factory=dict, description="Object -> receptacle it was taken from.")
    first_seen: dict[str, str] = Field(default_factory=dict, description="Object -> receptacle where it was first seen.")
    lamp_on: bool = False
    failed: list[str] = Field(default_factory=list, description="Commands answered 'Nothing happens.'.")
    steps: int = 0

    @classmethod
    def start(cls, intro: str) -> GameTracker:
        t = cls()
        m = _ROOM.search(intro)
        if m:
            t.receptacles = split_items(m.group(1))
        return t

    def _saw(self, recep: str, items: list[str]) -> None:
        self.contents[recep] = list(items)
        if recep not in self.visited:
            self.visited.append(recep)
        for o in items:
            self.first_seen.setdefault(o, recep)
        if recep not in self.receptacles:
            self.receptacles.append(recep)

    def update(self, command: str, feedback: str) -> None:
        """Apply one command and the game's answer."""
        self.steps += 1
        fb = feedback.strip()
        if fb.startswith(NOTHING):
            self.failed.append(command)
            return
        if command.startswith("go to "):
            self.location = command[6:]
        elif command.startswith("open "):
            target = command[5:]
            if target in self.closed:
                self.closed.remove(target)
            m = _IN_IT.search(fb)
            if m:
                self._saw(target, split_items(m.group(1)))
        elif command.startswith("close "):
            target = command[6:]
            if target not in self.closed:
                self.closed.append(target)
        elif command.startswith("take "):
            m = re.match(r"^take (.+?) from (.+)$", command)
            if m:
                obj, recep = m.group(1), m.group(2)
                self.holding = obj
                self.taken_from.setdefault(obj, recep)
                if obj in self.contents.get(recep, []):
                    self.contents[recep].remove(obj)
        elif command.startswith("put "):
            m = re.match(r"^put (.+?) (?:in/on|in|on) (.+)$", command)
            if m:
                obj, recep = m.group(1), m.group(2)
                self.holding = None
                self.contents.setdefault(recep, []).append(obj)
                self.delivered.append(obj)
        elif command.startswith("use "):
            self.lamp_on = not self.lamp_on if "turn off" in fb else True
        else:
            m = _TREAT.match(command)
            if m:
                verb, obj, appliance = m.groups()
                if obj not in self.treated:
                    self.treated.append(obj)
                self.treatments.append((verb, obj, appliance))
        for m in _CLOSED.finditer(fb):
            if m.group(1) not in self.closed:
                self.closed.append(m.group(1))
            if m.group(1) not in self.receptacles:
                self.receptacles.append(m.group(1))
        for m in _OPEN.finditer(fb):
            if m.group(1) in self.closed:
                self.closed.remove(m.group(1))
        for m in _SEE.finditer(fb):
            self._saw(m.group(1), split_items(m.group(2)))
        if command.startswith("go to ") and not _SEE.search(fb):
            m = _IN_IT.search(fb)  # "The drawer 1 is open. In it, you see ..."
            if m:
                self._saw(command[6:], split_items(m.group(1)))

    @classmethod
    def replay(cls, intro: str, actions: list[str], observations: list[str]) -> GameTracker:
        """The tracker after a whole episode (any agent's actions and the game's answers)."""
        t = cls.start(intro)
        for a, o in zip(actions, observations):
            t.update(a, o)
        return t

    def object_places(self) -> dict[str, list[str]]:
        """Object type -> receptacles where an object of that type was seen (first sighting)."""
        out: dict[str, list[str]] = {}
        for obj, recep in self.first_seen.items():
            out.setdefault(otype(obj), [])
            if recep not in out[otype(obj)]:
                out[otype(obj)].append(recep)
        return out

    def view(self) -> dict[str, Any]:
        """The state as a plain dict for the playbook scripts."""
        return {
            "receptacles": list(self.receptacles),
            "location": self.location,
            "holding": self.holding,
            "contents": {k: list(v) for k, v in self.contents.items()},
            "visited": list(self.visited),
            "closed": list(self.closed),
            "treated": list(self.treated),
            "lamp_on": self.lamp_on,
            "failed": list(self.failed),
        }


def actions_and_observations(trajectory: list[Any]) -> tuple[list[str], list[str]]:
    """``(commands, feedbacks)`` from typed agent steps (or their JSON dumps) of an ALFWorld episode."""
    actions: list[str] = []
    observations: list[str] = []
    pending: str | None = None
    for s in trajectory:
        d = s if isinstance(s, dict) else (s.model_dump() if hasattr(s, "model_dump") else {})
        if d.get("kind") == "action":
            calls = d.get("tool_calls") or []
            pending = str(calls[0].get("arguments", {}).get("command", "")) if calls else None
        elif d.get("kind") == "observation" and pending is not None:
            actions.append(pending)
            observations.append(str(d.get("observation", "")))
            pending = None
    return actions, observations
