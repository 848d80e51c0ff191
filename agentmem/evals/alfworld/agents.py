"""Agents that play :class:`~agentmem.evals.alfworld.env.AlfworldEnv` episodes.

* :class:`ExpertAgent` follows alfworld's handcoded expert (``info["expert_plan"]``) through
  the adapter: LLM-free, it proves that observations, admissible commands and actions flow
  correctly (``agentmem eval alfworld --agent expert``).
* :class:`ReactAgent` is a ReAct-style LLM agent: every turn the model writes
  ``Think: ...`` and ``Action: <command>``; the observation comes back with the commands the
  game accepts now (``prompts/alfworld_system.j2``, ``prompts/alfworld_step.j2``). Memory is any
  :class:`~agentmem.hooks.MemoryHook`: its recalled text (skills, behaviors, lessons)
  goes into the system prompt, and with ``update_memory`` its ``after_task`` gets the
  trajectory and the environment's outcome. Every model turn counts against the step limit
  (an unparsable reply wastes a turn), so an episode makes at most ``max_steps`` calls.

The trajectory is recorded as typed steps (:mod:`agentmem.agent.steps`), text-mode
(``native_tools=False``): ``act`` is offered as text, which works with every model.
``examples`` maps a task type (or ``"*"``) to solved episodes shown in the system prompt;
:func:`format_example` renders an expert episode that way (see
:func:`agentmem.evals.alfworld.harness.expert_examples`).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from agentmem.hooks import MemoryHook, RecallContext
from agentmem.agent.steps import ActionStep, ErrorStep, ObservationStep, TaskStep
from agentmem.llm.base import LLM, Message, ToolCall, Usage
from agentmem.prompts import PromptLibrary
from agentmem.types import Outcome
from agentmem.evals.alfworld.data import GameResult
from agentmem.evals.alfworld.env import AlfworldEnv


class EpisodeResult(BaseModel):
    """One played game: outcome, actions, usage and the typed trajectory."""

    game_id: str
    task_type: str
    won: bool
    steps: int = Field(default=0, description="Environment actions taken.")
    turns: int = Field(default=0, description="Agent turns (model calls for the ReAct agent).")
    intro: str = Field(default="", description="The first observation (room and goal).")
    actions: list[str] = Field(default_factory=list)
    observations: list[str] = Field(default_factory=list, description="The game's answer to each action.")
    invalid_replies: int = Field(default=0, description="Turns whose reply held no parsable action.")
    inadmissible_actions: int = Field(default=0, description="Actions not in the admissible list when sent.")
    memory_tokens: int = 0
    memory_ids: list[str] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    trajectory: list[dict[str, Any]] = Field(default_factory=list, description="Typed steps as JSON.")

    def to_game_result(self) -> GameResult:
        return GameResult(game_id=self.game_id, task_type=self.task_type, won=self.won, steps=self.steps)


class ExpertAgent:
    """Plays each game by taking alfworld's handcoded expert's next action (``look`` when it has none)."""

    name = "expert"

    def run(self, env: AlfworldEnv, game_id: str) -> EpisodeResult:
        task = env.reset(game_id)
        actions: list[str] = []
        observations: list[str] = []
        inadmissible = 0
        while not env.done:
            plan = env.expert_plan
            command = plan[0] if plan else "look"
            if command not in env.admissible_commands:
                inadmissible += 1
            actions.append(command)
            observations.append(env.step("act", {"command": command}).text)
        outcome = env.evaluate(None)
        return EpisodeResult(game_id=task.id, task_type=str(task.topic), won=outcome.success, steps=env.steps, turns=len(actions), intro=task.instruction, actions=actions, observations=observations, inadmissible_actions=inadmissible)

    def as_example(self, result: EpisodeResult) -> str:
        """A solved episode rendered as an in-context example (actions and observations, no thoughts)."""
        return format_example(result.intro, result.actions, result.observations)


def format_example(intro: str, actions: list[str], observations: list[str]) -> str:
    """An episode as text: the first observation, then ``Action:`` / ``Observation:`` lines."""
    lines = [intro]
    for a, o in zip(actions, observations):
        lines += [f"Action: {a}", f"Observation: {o}"]
    return "\n".join(lines)


_ACTION = re.compile(r"^\s*(?:>\s*)?action\s*:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
_THINK = re.compile(r"^\s*think\s*:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)


def parse_react_reply(text: str) -> tuple[str, str | None]:
    """``(thought, command)`` from a ``Think: ... / Action: ...`` reply; command is None when absent.

    The last ``Action:`` line wins; quotes, backticks, a leading ``>`` and a trailing period
    are stripped; the command is lowercased (ALFWorld commands are lowercase).
    """
    thoughts = _THINK.findall(text or "")
    actions = _ACTION.findall(text or "")
    thought = " ".join(t.strip() for t in thoughts)
    if not actions:
        return thought, None
    command = actions[-1].strip().strip("`\"'").strip()
    command = command.rstrip(".").strip().lower()
    return thought, command or None


def match_admissible(command: str, admissible: list[str]) -> str:
    """The admissible command equal to ``command`` up to case and spacing, else ``command`` unchanged."""
    key = " ".join(command.lower().split())
    for a in admissible:
        if " ".join(a.lower().split()) == key:
            return a
    return command


class ReactAgent:
    """A ReAct-style LLM agent for ALFWorld with memory in context."""

    name = "react"

    def __init__(self, llm: LLM, *, memory: MemoryHook | None = None, update_memory: bool = False, prompts: PromptLibrary | None = None, examples: dict[str, list[str]] | None = None, max_tokens: int = 256, temperature: float = 0.0) -> None:
        self.llm = llm
        self.memory = memory
        self.update_memory = update_memory
        self.prompts = prompts or PromptLibrary()
        self.examples = dict(examples or {})
        self.max_tokens = max_tokens
        self.temperature = temperature

    def run(self, env: AlfworldEnv, game_id: str, run_id: str = "alfworld") -> EpisodeResult:
        task = env.reset(game_id)
        context = self.memory.before_task(task) if self.memory is not None else RecallContext()
        examples = self.examples.get(str(task.topic), self.examples.get("*", []))
        system_text = self.prompts.render("alfworld_system.j2", memory_text=context.text, max_steps=env.max_steps, examples=examples)
        first = self.prompts.render("alfworld_step.j2", first=True, observation=task.instruction, admissible=env.admissible_commands, step=1, max_steps=env.max_steps)
        steps: list[Any] = [TaskStep(index=0, task=task.instruction, memory_text=context.text, memory_ids=context.item_ids)]
        # history of (assistant reply, observation) pairs; only the newest observation lists admissible commands
        turns: list[tuple[str, str]] = []
        usage = Usage()
        actions: list[str] = []
        observations: list[str] = []
        invalid = inadmissible = 0
        for turn in range(env.max_steps):
            if env.done:
                break
            messages = [Message(role="system", content=system_text), Message(role="user", content=first if not turns else task.instruction)]
            for i, (reply, obs) in enumerate(turns):
                messages.append(Message(role="assistant", content=reply))
                last = i == len(turns) - 1
                messages.append(Message(role="user", content=self.prompts.render("alfworld_step.j2", first=False, observation=obs, admissible=env.admissible_commands if last else [], step=len(turns) + 1, max_steps=env.max_steps) if last else f"Observation: {obs}"))
            comp = self.llm.complete(messages, stop=["\nObservation:"], temperature=self.temperature, max_tokens=self.max_tokens)
            usage = usage + comp.usage
            reply = comp.text.strip()
            thought, command = parse_react_reply(reply)
            if command is None and comp.tool_calls:
                command = str(comp.tool_calls[0].arguments.get("command", "")).strip().lower() or None
            if command is None:
                invalid += 1
                obs_text = "No action found. Reply with 'Think: ...' then 'Action: <one admissible command>'."
                steps.append(ErrorStep(index=len(steps), error=obs_text, error_type="ModelError"))
            elif command.startswith("think:"):
                obs_text = "OK."
                steps.append(ActionStep(index=len(steps), thought=reply, usage=comp.usage, native_tools=False))
            else:
                command = match_admissible(command, env.admissible_commands)
                if command not in env.admissible_commands:
                    inadmissible += 1
                call = ToolCall(id=f"call_{turn}", name="act", arguments={"command": command})
                steps.append(ActionStep(index=len(steps), thought=thought or reply, tool_calls=[call], usage=comp.usage, native_tools=False))
                obs = env.step("act", {"command": command})
                actions.append(command)
                observations.append(obs.text)
                obs_text = obs.text
                steps.append(ObservationStep(index=len(steps), tool_call_id=call.id, tool_name="act", observation=obs.text, reward=obs.reward, done=obs.done, native_tools=False))
            turns.append((reply or "(empty reply)", obs_text))
        outcome: Outcome = env.evaluate(None)
        if self.memory is not None and self.update_memory:
            self.memory.after_task(task, context, steps, outcome, run_id)
        return EpisodeResult(
            game_id=task.id,
            task_type=str(task.topic),
            won=outcome.success,
            steps=env.steps,
            turns=len(turns),
            intro=task.instruction,
            actions=actions,
            observations=observations,
            invalid_replies=invalid,
            inadmissible_actions=inadmissible,
            memory_tokens=context.tokens,
            memory_ids=context.item_ids,
            usage=usage,
            trajectory=[s.model_dump(mode="json") for s in steps],
        )
