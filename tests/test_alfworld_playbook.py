"""The ALFWorld playbook agent, its memory loop through the controller, and (marked ``alfworld``) real games."""

from __future__ import annotations

from typing import Any

import pytest

from agentmem.evals.alfworld.data import GameRef
from agentmem.evals.alfworld.env import AlfworldEnv, GameState
from agentmem.evals.alfworld.places import (
    parse_place_notes,
    place_note,
    rank_receptacles,
)
from agentmem.evals.alfworld.playbook import PlaybookAgent
from agentmem.evals.alfworld.playbook_memory import PlaybookMemory, load_playbook
from agentmem.evals.alfworld.tracker import GameTracker, split_items
from agentmem.settings import Settings

CLOSABLE = {"cabinet", "drawer", "fridge", "microwave", "safe"}


class RoomGame:
    """A tiny simulated ALFWorld room (a test double of the GameBackend protocol): receptacles with
    contents, closable ones start closed; go/open/take/put/heat/cool/clean/use with the game's wording."""

    def __init__(self, rooms: dict[str, dict[str, Any]]) -> None:
        self.rooms = rooms

    def load(self, gamefile: str) -> None:
        spec = self.rooms[gamefile]
        self.spec = spec
        self.contents = {r: list(v) for r, v in spec["contents"].items()}
        self.closed = {r for r in self.contents if r.split()[0] in CLOSABLE}
        self.at: str | None = None
        self.held: str | None = None
        self.treated: set[str] = set()
        self.lamp_on = False

    def _won(self) -> bool:
        goal = self.spec["win"]
        if goal[0] == "put":
            _, obj, recep, need, n = goal
            hits = [o for r, objs in self.contents.items() if r.split()[0] == recep for o in objs if o.split()[0] == obj and (need is None or o in self.treated)]
            return len(hits) >= n
        _, obj, _lamp = goal
        return self.lamp_on and self.held is not None and self.held.split()[0] == obj

    def _admissible(self) -> list[str]:
        adm = [f"go to {r}" for r in self.contents if r != self.at] + ["look", "inventory"]
        if self.at:
            if self.at in self.closed:
                adm.append(f"open {self.at}")
            else:
                if self.held is None:
                    adm += [f"take {o} from {self.at}" for o in self.contents[self.at] if not o.startswith("desklamp")]
                else:
                    adm.append(f"put {self.held} in/on {self.at}")
            verbs = {"microwave": "heat", "fridge": "cool", "sinkbasin": "clean"}
            if self.held and self.at.split()[0] in verbs:
                adm.append(f"{verbs[self.at.split()[0]]} {self.held} with {self.at}")
            adm += [f"use {o}" for o in self.contents.get(self.at, []) if o.startswith("desklamp")]
        return sorted(adm)

    def _state(self, text: str) -> GameState:
        won = self._won()
        return GameState(feedback=text, won=won, done=won, admissible_commands=self._admissible())

    def reset(self) -> GameState:
        self.load(self.spec["id"])
        room = ", ".join(f"a {r}" for r in self.contents)
        return self._state(f"-= Welcome to TextWorld, ALFRED! =-\n\nYou are in the middle of a room. Looking quickly around you, you see {room}.\n\nYour task is to: {self.spec['goal']}")

    def _see(self, r: str) -> str:
        objs = self.contents[r]
        return ", ".join(f"a {o}" for o in objs) if objs else "nothing"

    def step(self, command: str) -> GameState:
        if command not in self._admissible():
            return self._state("Nothing happens.")
        w = command.split()
        if command.startswith("go to "):
            self.at = command[6:]
            if self.at in self.closed:
                return self._state(f"You arrive at {self.at}. The {self.at} is closed.")
            return self._state(f"You arrive at {self.at}. On the {self.at}, you see {self._see(self.at)}.")
        if w[0] == "open":
            assert self.at is not None
            self.closed.discard(self.at)
            return self._state(f"You open the {self.at}. The {self.at} is open. In it, you see {self._see(self.at)}.")
        if w[0] == "take":
            obj = " ".join(w[1:3])
            self.contents[self.at].remove(obj)
            self.held = obj
            return self._state(f"You pick up the {obj} from the {self.at}.")
        if w[0] == "put":
            self.contents[self.at].append(self.held)
            obj, self.held = self.held, None
            return self._state(f"You put the {obj} in/on the {self.at}.")
        if w[0] in ("heat", "cool", "clean"):
            assert self.held is not None
            self.treated.add(self.held)
            return self._state(f"You {w[0]} the {self.held} using the {self.at}.")
        if w[0] == "use":
            self.lamp_on = True
            return self._state(f"You turn on the {' '.join(w[1:])}.")
        return self._state("Nothing happens.")

    def close(self) -> None:
        pass


RECEPTACLES = ["cabinet 1", "cabinet 2", "drawer 1", "drawer 2", "fridge 1", "sidetable 1", "countertop 1", "microwave 1", "sinkbasin 1", "shelf 1"]


def room(i: int, goal: str, win: tuple, where: dict[str, list[str]], prefix: str = "train") -> dict[str, Any]:
    contents = {r: list(where.get(r, [])) for r in RECEPTACLES}
    return {"id": f"{prefix}/{win[0]}-{i}/trial_{i}", "goal": goal, "win": win, "contents": contents}


def mug_games(n: int, prefix: str = "train", mug_at: str = "drawer 2") -> list[dict[str, Any]]:
    return [room(i, "put a mug in countertop.", ("put", "mug", "countertop", None, 1), {mug_at: [f"mug {i + 1}"], "drawer 1": ["pen 1"], "cabinet 2": ["plate 1"]}, prefix) for i in range(n)]


def env_for(specs: list[dict[str, Any]], max_steps: int = 50) -> AlfworldEnv:
    games = [GameRef(id=s["id"], gamefile=s["id"], task_type="pick_and_place" if s["win"][0] == "put" else "look_at_obj_in_light") for s in specs]
    backend = RoomGame({s["id"]: s for s in specs})
    return AlfworldEnv(games, backend, max_steps=max_steps)


@pytest.fixture()
def settings(tmp_path):
    return Settings.load(tmp_path / "home")


def test_tracker_reads_the_game_text():
    t = GameTracker.start("You are in the middle of a room. Looking quickly around you, you see a cabinet 1, a countertop 1, and a microwave 1.\n\nYour task is to: heat some mug and put it in cabinet.")
    assert t.receptacles == ["cabinet 1", "countertop 1", "microwave 1"]
    t.update("go to cabinet 1", "You arrive at cabinet 1. The cabinet 1 is closed.")
    assert t.closed == ["cabinet 1"]
    t.update("open cabinet 1", "You open the cabinet 1. The cabinet 1 is open. In it, you see a cup 1, and a mug 3.")
    assert t.contents["cabinet 1"] == ["cup 1", "mug 3"] and not t.closed
    t.update("take mug 3 from cabinet 1", "You pick up the mug 3 from the cabinet 1.")
    assert t.holding == "mug 3" and t.taken_from == {"mug 3": "cabinet 1"}
    t.update("heat mug 3 with microwave 1", "Nothing happens.")
    assert t.failed == ["heat mug 3 with microwave 1"] and not t.treated
    assert split_items("a mug 2, a spoon 1, and an apple 3") == ["mug 2", "spoon 1", "apple 3"] and split_items("nothing") == []


def test_goal_parsing_covers_the_six_task_types():
    plan = load_playbook("plan-household-task")
    cases = {
        "put some spraybottle on toilet.": ("pick_and_place", "spraybottle", "toilet", 1),
        "clean some cloth and put it in countertop.": ("pick_clean_then_place", "cloth", "countertop", 1),
        "put a hot apple in fridge.": ("pick_heat_then_place", "apple", "fridge", 1),
        "cool some pan and put it in stoveburner.": ("pick_cool_then_place", "pan", "stoveburner", 1),
        "examine the cd with the desklamp.": ("look_at_obj_in_light", "cd", None, 1),
        "find two book and put them in bed.": ("pick_two_obj_and_place", "book", "bed", 2),
    }
    for sentence, (tt, obj, recep, n) in cases.items():
        g = plan.parse_goal(sentence)
        assert (g["type"], g["object"], g["receptacle"], g["count"]) == (tt, obj, recep, n), sentence
    with pytest.raises(ValueError):
        plan.parse_goal("dance with the fridge.")


def test_place_notes_decay_and_ranking():
    notes = [place_note("a", ["drawer"], ["countertop"]), place_note("b", ["countertop"], ["drawer"]), place_note("c", ["countertop"], ["drawer", "cabinet"])]
    st = parse_place_notes("mug", notes, decay=0.5)
    assert st.games == 3 and st.found["countertop"] == pytest.approx(1.5) and st.found["drawer"] == pytest.approx(0.25)
    assert st.p("countertop") > st.p("drawer")
    order = rank_receptacles(["drawer 1", "cabinet 1", "cabinet 2", "countertop 1"], st)
    assert order[0] == "countertop 1" and order.index("drawer 1") < order.index("cabinet 1")
    assert rank_receptacles(["b 1", "a 1"], None) == ["b 1", "a 1"]


def test_playbook_agent_plays_every_task_type_without_memory():
    specs = [
        room(1, "heat some mug and put it in cabinet.", ("put", "mug", "cabinet", "heat", 1), {"shelf 1": ["mug 1"]}),
        room(2, "put a clean plate in shelf.", ("put", "plate", "shelf", "clean", 1), {"drawer 2": ["plate 1"]}),
        room(3, "put a cool apple in countertop.", ("put", "apple", "countertop", "cool", 1), {"cabinet 2": ["apple 1"]}),
        room(4, "look at pen under the desklamp.", ("look", "pen", "desklamp"), {"drawer 1": ["pen 1"], "sidetable 1": ["desklamp 1"]}),
        room(5, "put two cd in shelf.", ("put", "cd", "shelf", None, 2), {"drawer 2": ["cd 1"], "countertop 1": ["cd 2"]}),
    ]
    env = env_for(specs)
    agent = PlaybookAgent()
    for s in specs:
        res = agent.run(env, s["id"])
        assert res.won, (s["goal"], res.actions, res.observations[-3:])
        assert res.inadmissible_actions == 0


def test_learning_through_the_controller_cuts_search_steps(settings):
    train = mug_games(6, "train")
    unseen = mug_games(3, "unseen")
    env = env_for(train + unseen)
    empty = [PlaybookAgent().run(env, s["id"]).steps for s in unseen]

    mem = PlaybookMemory.open(settings, mode="updating", split="train")
    agent = PlaybookAgent(mem, update_memory=True)
    for s in train:
        assert agent.run(env, s["id"]).won
        assert mem.last_report.gate_open and mem.last_report.apply.applied
    concept = mem.concepts.get("alfworld-where-mug")
    assert concept is not None and len([n for n in concept.implementation if "found: drawer" in n]) == 6
    audit_edits = mem.controller.engine.audit
    assert audit_edits is not None

    frozen = PlaybookMemory.open(settings, mode="frozen", split="unseen")
    learned = [PlaybookAgent(frozen).run(env, s["id"]) for s in unseen]
    assert all(r.won for r in learned) and "alfworld-where-mug" in learned[0].memory_ids
    assert sum(r.steps for r in learned) < sum(empty)
    # provenance: the concept knows which runs wrote it
    hist = mem.controller.why("concepts/alfworld-where-mug")
    assert hist.found


def test_unseen_games_never_write(settings):
    specs = mug_games(2, "unseen")
    env = env_for(specs)
    mem = PlaybookMemory.open(settings, mode="updating", split="unseen")
    PlaybookAgent(mem, update_memory=True).run(env, specs[0]["id"])
    assert not mem.last_report.gate_open and mem.concepts.get("alfworld-where-mug") is None


def test_declaring_train_does_not_make_evaluation_games_training_data(settings):
    from agentmem.evals.alfworld.data import gate_split

    assert [gate_split(x) for x in ("train", "valid_train/a/t", "valid_unseen/a/t", "unseen", "valid_seen", "g")] == ["train", "train", "test", "test", "test", None]
    specs = mug_games(2, "valid_unseen")
    mem = PlaybookMemory.open(settings, mode="updating", split="train")
    PlaybookAgent(mem, update_memory=True).run(env_for(specs), specs[0]["id"])
    assert not mem.last_report.gate_open and "'test'" in mem.last_report.gate_reason and mem.concepts.get("alfworld-where-mug") is None


def test_changed_world_costs_credit_then_learning_recovers(settings):
    # memory learned "mugs are in drawers, not in cabinets"; then the mugs are in cabinet 1
    mem = PlaybookMemory.open(settings, mode="updating", split="train")
    agent = PlaybookAgent(mem, update_memory=True)
    first = mug_games(4, "train", mug_at="drawer 2")
    later = [dict(s, id=s["id"].replace("train/", "train2/")) for s in mug_games(6, "train", mug_at="cabinet 1")]
    env = env_for(first + later)
    credits, steps = [], []
    for s in first + later:
        steps.append(agent.run(env, s["id"]).steps)
        credits.append(next((c.credit for c in mem.last_report.credits if c.item_id == "alfworld-where-mug"), None))
    assert all(c > 0 for c in credits[1:4])            # the concept ordered the drawers first: searches saved
    assert credits[4] < 0                              # the first cabinet game: its order cost searches
    assert steps[-1] < steps[4] and credits[-1] >= 0   # the new notes (and decay) fixed the order


def test_misleading_concept_is_retired(settings):
    from agentmem.evals.alfworld.places import place_note
    from agentmem.learning.edits import ExtendConcept

    mem = PlaybookMemory.open(settings, mode="updating", split="train")
    # a bad import: twenty games' worth of "mugs are on the shelf, never in cabinets"
    bad = ExtendConcept(concept="alfworld-where-mug", text="\n".join(place_note(f"x{i}", ["shelf"], ["cabinet", "drawer"]) for i in range(20)))
    assert len(mem.controller.apply([bad]).applied) == 1
    games = [dict(s, id=s["id"].replace("train/", "train3/")) for s in mug_games(8, "train", mug_at="cabinet 1")]
    env = env_for(games)
    agent = PlaybookAgent(mem, update_memory=True)
    for s in games:
        agent.run(env, s["id"])
        if mem.concepts.get("alfworld-where-mug").state.value == "retired":
            break
    c = mem.concepts.get("alfworld-where-mug")
    assert c.state.value == "retired", "the controller retires a concept whose search orders keep costing steps"
    assert mem.controller.utilities.utility("concepts", "alfworld-where-mug") < 0
    res = agent.run(env, games[-1]["id"])  # retired: out of recall, the search falls back to room order
    assert "alfworld-where-mug" not in res.memory_ids


def test_failure_proposes_a_behavior_the_react_agent_reads(settings):
    from agentmem.evals.alfworld.agents import ReactAgent
    from agentmem.testing import ScriptedLLM

    lost = [room(1, "put a mug in shelf.", ("put", "mug", "shelf", None, 1), {})]  # no mug anywhere: the game is lost
    env = env_for(lost, max_steps=30)
    mem = PlaybookMemory.open(settings, mode="updating", split="train")
    assert not PlaybookAgent(mem, update_memory=True).run(env, lost[0]["id"]).won
    assert mem.behaviors is not None
    names = [b.name for b in mem.behaviors.all()]
    assert any(n.startswith("behavior_alfworld_pick_and_place_search_mug") for n in names), names
    # the ReAct agent reads the same memory: the learned behavior and mug concept are in its prompt
    replies: list[Any] = ["Think: look.\nAction: look"] * 3
    llm = ScriptedLLM(replies)
    ReactAgent(llm, memory=PlaybookMemory.open(settings, mode="frozen")).run(env_for(lost, max_steps=3), lost[0]["id"])
    prompt = str(llm.calls[0])
    assert "alfworld-where-mug" in prompt and "search_mug" in prompt and "mug was found in no place yet" in prompt


def _real_games(tmp_path: Any, split: str) -> list[Any]:
    pytest.importorskip("alfworld")
    from agentmem.errors import ConfigError
    from agentmem.evals.alfworld.data import prepare_alfworld_data
    from agentmem.evals.alfworld.env import collect_games

    try:
        data = prepare_alfworld_data(split, cache_dir=str(tmp_path / "cache"))
    except ConfigError as exc:  # data not present on this machine
        pytest.skip(f"ALFWorld data not available: {exc}")
    return collect_games(str(data), split)


# Plays commands on the plain TextWorld backend in a fresh process (so no memoised TextWorld function is installed there)
# and prints the transcript: every feedback, admissible-command list and won flag, then a second reset and three steps.
_PLAIN_TRANSCRIPT = """
import json, sys
from agentmem.evals.alfworld.env import TextWorldGame
jobs = json.load(sys.stdin)
out = []
for gamefile, commands in jobs:
    b = TextWorldGame(expert=False)
    b.load(gamefile)
    s = b.reset()
    tr = [[s.feedback, s.admissible_commands, s.won]]
    for c in commands:
        s = b.step(c)
        tr.append([c, s.feedback, s.admissible_commands, s.won])
    s = b.reset()
    tr.append([s.feedback, s.admissible_commands, s.won])
    for c in commands[:3]:
        s = b.step(c)
        tr.append([c, s.feedback, s.admissible_commands, s.won])
    b.close()
    out.append(tr)
print(json.dumps(out))
"""


def _fast_transcript(gamefile: str, commands: list[str]) -> list[Any]:
    from agentmem.evals.alfworld.fastgame import OnceTranslatedGame

    b = OnceTranslatedGame(expert=False)
    b.load(gamefile)
    s = b.reset()
    tr: list[Any] = [[s.feedback, s.admissible_commands, s.won]]
    for c in commands:
        s = b.step(c)
        tr.append([c, s.feedback, s.admissible_commands, s.won])
    s = b.reset()
    tr.append([s.feedback, s.admissible_commands, s.won])
    for c in commands[:3]:
        s = b.step(c)
        tr.append([c, s.feedback, s.admissible_commands, s.won])
    b.close()
    return tr


@pytest.mark.alfworld
def test_playbook_agent_wins_real_games(tmp_path):
    """Learn from three real training games, then: the fast backend plays exactly like TextWorld,
    and a game under a small step budget is the prefix of the same game under 50 steps."""
    import json
    import os
    import subprocess
    import sys

    from agentmem.evals.alfworld.fastgame import OnceTranslatedGame

    games = _real_games(tmp_path, "train")  # training games: the train_labels gate learns only from these (not from unseen ones)
    picked = [next(g for g in games if g.task_type == tt) for tt in ("pick_and_place", "pick_heat_then_place", "look_at_obj_in_light")]
    env = AlfworldEnv(picked, lambda: OnceTranslatedGame(expert=False), max_steps=50)
    mem = PlaybookMemory.open(Settings.load(tmp_path / "home"), mode="updating", split="train")
    agent = PlaybookAgent(mem, update_memory=True)
    try:
        results = [agent.run(env, g.id) for g in picked]
    finally:
        env.close()
    assert sum(r.won for r in results) >= 2, [(r.game_id, r.won, r.actions[-5:]) for r in results]
    assert all(r.inadmissible_actions == 0 for r in results if r.won)
    assert mem.concepts.all_concepts(), "the games should have taught object locations"

    # The benchmark's backend (memoised parsing and translation) plays identically to plain TextWorld: every
    # observation, admissible-command list and won flag, including a command that does nothing and a second reset.
    jobs = [(g.gamefile, r.actions[:1] + ["take unicorn 1 from moon 2"] + r.actions[1:]) for g, r in zip(picked[:2], results)]
    fast = [_fast_transcript(f, cmds) for f, cmds in jobs]
    plain = subprocess.run([sys.executable, "-c", _PLAIN_TRANSCRIPT], input=json.dumps(jobs), capture_output=True, text=True, check=True, env={**os.environ}, timeout=600)
    assert json.loads(plain.stdout.strip().splitlines()[-1]) == fast

    # Budget read-off (what the benchmark relies on): the agent never reads its budget and the memory is frozen,
    # so a game under budget b is exactly the first b steps of the same game under 50.
    unseen = _real_games(tmp_path, "unseen")
    frozen = PlaybookMemory.open(Settings.load(tmp_path / "home"), mode="frozen")

    def play(g: Any, budget: int) -> Any:
        e = AlfworldEnv([g], lambda: OnceTranslatedGame(expert=False), max_steps=budget)
        try:
            return PlaybookAgent(frozen).run(e, g.id)
        finally:
            e.close()

    for g in [next(g for g in unseen if g.task_type == tt) for tt in ("pick_clean_then_place", "pick_two_obj_and_place")]:
        full = play(g, 50)
        for budget in sorted({15, max(1, full.steps // 2)}):
            short = play(g, budget)
            assert short.actions == full.actions[: len(short.actions)]
            assert [o.split("\n(step limit")[0] for o in short.observations] == full.observations[: len(short.observations)]
            assert short.won == (full.won and full.steps <= budget) and short.steps == min(budget, full.steps)


def test_harness_plays_with_the_playbook_agent(settings):
    from agentmem.evals.alfworld.harness import AlfworldHarness

    specs = mug_games(2, "train")
    games = [GameRef(id=s["id"], gamefile=s["id"], task_type="pick_and_place") for s in specs]
    backend = RoomGame({s["id"]: s for s in specs})
    mem = PlaybookMemory.open(settings, mode="updating", split="train")
    harness = AlfworldHarness(games, agent="playbook", backend_factory=lambda: backend, memory=mem, update_memory=True)
    assert all(harness.play(g).won for g in games)
    assert mem.concepts.get("alfworld-where-mug") is not None
