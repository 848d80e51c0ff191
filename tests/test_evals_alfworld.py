"""ALFWorld harness: task types, success accounting, the environment adapter and both agents.

The unit tests use the shipped fake game backend; tests marked ``alfworld`` drive real games
(skipped when the package or the data is missing).
"""

from __future__ import annotations

import pytest

from agentmem.environment import Environment, TaskSpec
from agentmem.hooks import RecallContext
from agentmem.evals.alfworld.agents import EpisodeResult, ExpertAgent, ReactAgent, match_admissible, parse_react_reply
from agentmem.evals.alfworld.data import GameRef, GameResult, game_id_of, summarise_games, summary_markdown, task_type_of
from agentmem.evals.alfworld.env import AlfworldEnv, FakeAlfworldGame, FakeGame, clean_intro, goal_of
from agentmem.errors import ConfigError
from agentmem.prompts import PromptLibrary
from agentmem.testing import ScriptedLLM
from agentmem.types import Outcome

# ---------------------------------------------------------------- task types and accounting


@pytest.mark.parametrize(
    "path,expected",
    [
        ("json_2.1.1/valid_unseen/pick_and_place_simple-SoapBar-None-Toilet-424/trial_T1/game.tw-pddl", "pick_and_place"),
        ("/x/valid_unseen/pick_clean_then_place_in_recep-Cloth-None-CounterTop-424/trial_T2/game.tw-pddl", "pick_clean_then_place"),
        ("valid_unseen/pick_heat_then_place_in_recep-Mug-None-Cabinet-10/trial_T3", "pick_heat_then_place"),
        ("valid_train/pick_cool_then_place_in_recep-Tomato-None-Microwave-14/trial_T4/game.tw-pddl", "pick_cool_then_place"),
        ("valid_unseen/look_at_obj_in_light-AlarmClock-None-DeskLamp-308/trial_T5/game.tw-pddl", "look_at_obj_in_light"),
        ("valid_unseen/pick_two_obj_and_place-Pillow-None-Sofa-219/trial_T6/game.tw-pddl", "pick_two_obj_and_place"),
    ],
)
def test_task_type_of(path: str, expected: str) -> None:
    assert task_type_of(path) == expected


def test_task_type_unknown_raises_naming_path() -> None:
    with pytest.raises(ConfigError, match="no ALFWorld task type"):
        task_type_of("valid_unseen/make_coffee-Mug-1/trial_1/game.tw-pddl")


def test_game_id_of() -> None:
    assert game_id_of("/c/json_2.1.1/valid_unseen/look_at_obj_in_light-CD-None-DeskLamp-308/trial_T2/game.tw-pddl") == "valid_unseen/look_at_obj_in_light-CD-None-DeskLamp-308/trial_T2"


def test_summarise_games_by_type_hand_checked() -> None:
    res = [
        GameResult(game_id="a", task_type="pick_and_place", won=True, steps=10),
        GameResult(game_id="b", task_type="pick_and_place", won=False, steps=50),
        GameResult(game_id="c", task_type="pick_and_place", won=True, steps=20),
        GameResult(game_id="d", task_type="look_at_obj_in_light", won=False, steps=50, error="boom"),
        GameResult(game_id="e", task_type="pick_two_obj_and_place", won=True, steps=30),
    ]
    s = summarise_games(res)
    assert s.n == 5 and s.won == 3 and s.success_rate == pytest.approx(0.6)
    pp = s.by_type[0]
    assert pp.task_type == "pick_and_place" and pp.n == 3 and pp.won == 2
    assert pp.success_rate == pytest.approx(2 / 3) and pp.mean_steps_won == pytest.approx(15.0)
    assert [t.task_type for t in s.by_type] == ["pick_and_place", "look_at_obj_in_light", "pick_two_obj_and_place"]
    assert s.by_type[1].success_rate == 0.0 and s.by_type[1].mean_steps_won is None
    assert s.errors == ["d: boom"]
    md = summary_markdown(s)
    assert "| pick_and_place | 3 | 2 | 66.7% | 15.0 |" in md and "**60.0%**" in md


# ---------------------------------------------------------------- environment over the fake backend


def _env(max_steps: int = 50, games: dict[str, FakeGame] | None = None) -> AlfworldEnv:
    refs = [GameRef(id="valid_unseen/pick_heat_then_place_in_recep-Mug-None-Cabinet-1/trial_1", gamefile="g1", task_type="pick_heat_then_place")]
    return AlfworldEnv(refs, FakeAlfworldGame(games), max_steps=max_steps)


def test_env_satisfies_protocol_and_plays_fake_game() -> None:
    env = _env()
    assert isinstance(env, Environment)
    task = env.reset()
    assert isinstance(task, TaskSpec) and task.topic == "pick_heat_then_place"
    assert not task.instruction.startswith("-= Welcome")
    assert task.metadata["goal"] == "heat some mug and put it in cabinet."
    assert [t.name for t in env.tools()] == ["act"]
    obs = env.step("act", {"command": "go to countertop 1"})
    assert obs.text == "You go to countertop 1." and not obs.done
    assert obs.info["expert_plan"] == ["take mug 1 from countertop 1"]
    assert "take mug 1 from countertop 1" in obs.info["admissible_commands"]
    assert env.step("act", {"command": "dance"}).text == "Nothing happens."
    assert env.evaluate(None).success is False


def test_env_bad_tool_and_empty_command_are_observations_not_steps() -> None:
    env = _env()
    env.reset()
    assert "only tool is act" in env.step("search", {"q": "x"}).text
    assert "non-empty" in env.step("act", {}).text
    assert env.steps == 0


def test_env_step_limit_ends_episode_as_failure() -> None:
    env = _env(max_steps=3)
    env.reset()
    for _ in range(3):
        obs = env.step("act", {"command": "look"})
    assert obs.done and "step limit of 3 reached" in obs.text
    assert env.step("act", {"command": "look"}).text == "The episode is over."
    out = env.evaluate(None)
    assert out == Outcome(score=0.0, success=False, source="environment", detail={"game_id": env.game.id, "task_type": "pick_heat_then_place", "steps": 3})


def test_env_unknown_game_id() -> None:
    with pytest.raises(ConfigError, match="unknown game id"):
        _env().reset("nope")


def test_intro_helpers() -> None:
    text = "-= Welcome to TextWorld, ALFRED! =-\n\nYou are in a room.\n\nYour task is to: put a clean cloth in countertop."
    assert clean_intro(text).startswith("You are in a room.")
    assert goal_of(text) == "put a clean cloth in countertop."


def test_expert_agent_wins_fake_game() -> None:
    env = _env()
    res = ExpertAgent().run(env, env.games[0].id)
    assert res.won and res.steps == 6 and res.inadmissible_actions == 0
    assert res.actions == FakeGame().solution


def test_expert_agent_fails_when_step_limit_is_too_short() -> None:
    env = _env(max_steps=4)
    res = ExpertAgent().run(env, env.games[0].id)
    assert not res.won and res.steps == 4


# ---------------------------------------------------------------- ReAct agent with ScriptedLLM


def test_parse_react_reply() -> None:
    assert parse_react_reply("Think: the mug is on the counter.\nAction: go to countertop 1") == ("the mug is on the counter.", "go to countertop 1")
    assert parse_react_reply("Action: `Take mug 1 from countertop 1.`")[1] == "take mug 1 from countertop 1"
    assert parse_react_reply("> action: look")[1] == "look"
    assert parse_react_reply("I will look around.")[1] is None
    assert match_admissible("go to  Cabinet 1", ["go to cabinet 1", "look"]) == "go to cabinet 1"


class _RecordingMemory:
    def __init__(self) -> None:
        self.after: list[tuple[str, Outcome, int]] = []

    def before_task(self, task: TaskSpec) -> RecallContext:
        return RecallContext(text="skill heat-object: take the object to a microwave and heat it with the microwave.", tokens=20)

    def after_task(self, task, context, trajectory, outcome, run_id) -> None:
        self.after.append((task.id, outcome, len(trajectory)))


def test_react_agent_solves_fake_game_with_memory_in_context() -> None:
    sol = FakeGame().solution
    replies = ["Think: the mug should be on the countertop.\nAction: go to countertop 1", "Hmm.", *[f"Think: next.\nAction: {c}" for c in sol[1:]]]
    llm = ScriptedLLM(replies)
    mem = _RecordingMemory()
    env = _env()
    res = ReactAgent(llm, memory=mem, update_memory=True).run(env, env.games[0].id, run_id="r1")
    llm.assert_complete()
    assert res.won and res.steps == 6 and res.turns == 7 and res.invalid_replies == 1
    assert res.actions == sol and res.memory_tokens == 20
    first = llm.calls[0]["messages"]
    assert first[0].role == "system" and "skill heat-object" in first[0].content
    assert "Admissible commands:" in first[1].content and "Your task is to: heat some mug" in first[1].content
    # later turns: the newest observation lists admissible commands, older ones do not
    last = llm.calls[-1]["messages"]
    assert "Admissible commands:" in last[-1].content and "Admissible commands:" not in last[-3].content
    assert "No action found" in llm.calls[2]["messages"][-1].content
    assert mem.after and mem.after[0][0] == env.games[0].id and mem.after[0][1].success
    kinds = [s["kind"] for s in res.trajectory]
    assert kinds[0] == "task" and kinds.count("observation") == 6 and kinds.count("error") == 1
    assert res.usage.calls == 7


def test_react_agent_frozen_memory_is_not_updated_and_failure_recorded() -> None:
    llm = ScriptedLLM(["Action: look"] * 3)
    mem = _RecordingMemory()
    env = _env(max_steps=3)
    res = ReactAgent(llm, memory=mem, update_memory=False).run(env, env.games[0].id)
    assert not res.won and res.steps == 3 and res.inadmissible_actions == 0
    assert mem.after == []
    llm.assert_complete()


def test_episode_result_round_trips() -> None:
    env = _env()
    res = ExpertAgent().run(env, env.games[0].id)
    assert EpisodeResult.model_validate_json(res.model_dump_json()) == res
    assert res.to_game_result() == GameResult(game_id=res.game_id, task_type="pick_heat_then_place", won=True, steps=6)


def test_alfworld_templates_render() -> None:
    lib = PromptLibrary()
    s = lib.render("alfworld_system.j2", memory_text="", max_steps=50, examples=[])
    assert "within 50 actions" in s and "Memory recalled" not in s
    s2 = lib.render("alfworld_system.j2", memory_text="behavior: check fridges first", max_steps=50, examples=["Action: look"])
    assert "behavior: check fridges first" in s2 and "example 1" in s2
    st = lib.render("alfworld_step.j2", first=False, observation="You see a mug.", admissible=["look", "take mug 1"], step=3, max_steps=50)
    assert st.startswith("Observation: You see a mug.") and "Admissible commands: look, take mug 1" in st and "Step 3 of 50." in st


# ---------------------------------------------------------------- real games (alfworld extra)


@pytest.fixture(scope="module")
def real_unseen(tmp_path_factory: pytest.TempPathFactory):
    pytest.importorskip("alfworld")
    pytest.importorskip("textworld")
    import os
    from pathlib import Path

    from agentmem.evals.alfworld.data import prepare_alfworld_data
    from agentmem.evals.alfworld.env import collect_games

    root = Path(os.environ.get("AGENTMEM_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
    if not (root / "alfworld" / "valid_unseen_134.tar.gz").exists():
        pytest.skip(f"ALFWorld data not found under {root}")
    data_dir = prepare_alfworld_data("unseen", root, tmp_path_factory.mktemp("alfcache"))
    return collect_games(str(data_dir), "unseen", data_root=str(root))


@pytest.mark.alfworld
@pytest.mark.integration
def test_real_split_has_134_games_of_six_types(real_unseen) -> None:
    assert len(real_unseen) == 134
    assert {g.task_type for g in real_unseen} == {"pick_and_place", "pick_clean_then_place", "pick_heat_then_place", "pick_cool_then_place", "look_at_obj_in_light", "pick_two_obj_and_place"}


@pytest.mark.alfworld
@pytest.mark.integration
def test_real_expert_wins_two_games(real_unseen) -> None:
    from agentmem.evals.alfworld.env import TextWorldGame

    games = [real_unseen[0], real_unseen[-1]]
    env = AlfworldEnv(games, TextWorldGame)
    try:
        for g in games:
            res = ExpertAgent().run(env, g.id)
            assert res.won, (g.id, res.actions)
            assert 0 < res.steps <= 50
    finally:
        env.close()


@pytest.mark.alfworld
@pytest.mark.integration
def test_real_game_driven_by_scripted_llm(real_unseen) -> None:
    from agentmem.evals.alfworld.env import TextWorldGame

    env = AlfworldEnv(real_unseen[:1], TextWorldGame, max_steps=3)
    try:
        task = env.reset(real_unseen[0].id)
        assert "Your task is to:" in task.instruction and env.admissible_commands
        llm = ScriptedLLM(["Think: look around.\nAction: look", "Action: inventory", "Action: look"])
        res = ReactAgent(llm).run(env, real_unseen[0].id)
        llm.assert_complete()
        assert res.steps == 3 and not res.won and res.actions == ["look", "inventory", "look"]
        obs_texts = [s["observation"] for s in res.trajectory if s["kind"] == "observation"]
        assert "You are carrying" in obs_texts[1] or "not carrying" in obs_texts[1]
    finally:
        env.close()


# ---------------------------------------------------------------- data preparation (no alfworld needed)


def test_prepare_data_unpacks_and_lists_134_games(shared_data, tmp_path) -> None:
    from agentmem.evals.alfworld.data import alfworld_config, list_games, prepare_alfworld_data

    data_dir = prepare_alfworld_data("unseen", shared_data, tmp_path / "cache")
    assert (data_dir / "logic" / "alfred.pddl").exists() and (data_dir / ".complete").exists()
    games = list_games(data_dir, "unseen")
    assert len(games) == 134 and len({g.id for g in games}) == 134
    counts = {}
    for g in games:
        counts[g.task_type] = counts.get(g.task_type, 0) + 1
    assert sum(counts.values()) == 134 and len(counts) == 6
    assert prepare_alfworld_data("unseen", shared_data, tmp_path / "cache") == data_dir  # cached: no second unpack
    cfg = alfworld_config(data_dir, "unseen", data_root=shared_data)
    assert cfg["dataset"]["eval_ood_data_path"].endswith("json_2.1.1/valid_unseen")
    assert cfg["logic"]["grammar"] == str(data_dir / "logic" / "alfred.twl2")
    assert cfg["env"]["expert_type"] == "handcoded"


def test_prepare_data_rejects_bad_checksum(tmp_path) -> None:
    import tarfile

    from agentmem.evals.alfworld.data import prepare_alfworld_data

    (tmp_path / "alfworld").mkdir()
    src = tmp_path / "x.txt"
    src.write_text("not alfworld")
    with tarfile.open(tmp_path / "alfworld" / "valid_train_200.tar.gz", "w:gz") as tar:
        tar.add(src, arcname="x.txt")
    with pytest.raises(ConfigError, match="sha256"):
        prepare_alfworld_data("train", tmp_path, tmp_path / "cache")
    with pytest.raises(ConfigError, match="--split"):
        prepare_alfworld_data("valid_seen", tmp_path, tmp_path / "cache")
    with pytest.raises(ConfigError, match="not found"):
        prepare_alfworld_data("unseen", tmp_path, tmp_path / "cache")


def test_expert_examples_per_type_and_react_uses_matching_type() -> None:
    from agentmem.evals.alfworld.agents import format_example
    from agentmem.evals.alfworld.harness import expert_examples

    specs = {"g1": FakeGame(), "g2": FakeGame(goal="look at cd under the desklamp.", solution=["go to desk 1", "use desklamp 1"]), "g3": FakeGame(solution=["go to cabinet 1"])}
    refs = [GameRef(id="a", gamefile="g1", task_type="pick_heat_then_place"), GameRef(id="b", gamefile="g2", task_type="look_at_obj_in_light"), GameRef(id="c", gamefile="g3", task_type="pick_heat_then_place")]
    ex = expert_examples(refs, 1, backend_factory=lambda: FakeAlfworldGame(specs))
    assert set(ex) == {"pick_heat_then_place", "look_at_obj_in_light"} and len(ex["pick_heat_then_place"]) == 1
    assert ex["look_at_obj_in_light"][0] == format_example(
        "You are in the middle of a room. Looking quickly around you, you see a cabinet 1, a countertop 1, and a microwave 1.\n\nYour task is to: look at cd under the desklamp.",
        ["go to desk 1", "use desklamp 1"], ["You go to desk 1.", "You use desklamp 1."])
    llm = ScriptedLLM(["Action: look"])
    env = _env(max_steps=1)
    ReactAgent(llm, examples=ex).run(env, env.games[0].id)
    system = llm.calls[0]["messages"][0].content
    assert "example 1" in system and "Action: take mug 1 from countertop 1" in system and "desklamp" not in system


def test_expert_dialect_bridge() -> None:
    from agentmem.evals.alfworld.expert import to_expert_dialect, to_game_dialect

    assert to_expert_dialect("put toiletpaper 3 in/on cabinet 1") == "move toiletpaper 3 to cabinet 1"
    assert to_expert_dialect("take mug 1 from countertop 1") == "take mug 1 from countertop 1"
    adm_old = ["put mug 1 in/on cabinet 1", "look"]
    assert to_game_dialect("move mug 1 to cabinet 1", adm_old) == "put mug 1 in/on cabinet 1"
    adm_new = ["move mug 1 to cabinet 1", "look"]
    assert to_game_dialect("move mug 1 to cabinet 1", adm_new) == "move mug 1 to cabinet 1"
    assert to_game_dialect("go to cabinet 1", adm_old) == "go to cabinet 1"
