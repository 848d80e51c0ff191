"""The playbook agent: ALFWorld played by the shipped skills' scripts, decisions from memory, no LLM.

It sees what an LLM agent sees, the observation text and the admissible commands, never
the PDDL state or the expert plan. Each game:

1. **Read**: the memory hook (:class:`~agentmem.evals.alfworld.playbook_memory.PlaybookMemory`,
   the reflective controller's recall) returns the concepts the goal needs; they become
   :class:`~agentmem.evals.alfworld.playbook_memory.Advice` (search order per object type,
   appliance preferences).
2. **Act**: ``plan-household-task``'s script parses the goal and, every step, names the skill
   whose script gives the next command (``find-object``, ``take-object``,
   ``clean/heat/cool-object``, ``examine-object-under-light``, ``put-object-in-receptacle``;
   the two-object variant repeats find, take, put with the first object excluded). The
   scripts get a plain dict view of the game (:class:`~agentmem.evals.alfworld.tracker.GameTracker`)
   plus what memory says: the receptacles in the order to search them (room order when
   memory knows nothing). When a script has nothing to do the agent sends ``look`` (a
   wasted step, as a stuck player would).
3. **Judge / write**: the environment's ``won`` flag is the outcome; the hook's
   ``after_task`` gets the typed trajectory (learning happens only in updating mode).

The scripts are shipped, trusted skills, so they are imported and called in-process (one
function call per step; :func:`~agentmem.evals.alfworld.playbook_memory.load_playbook`)
rather than run in the sandbox, which would cost a process start per command.

The agent never looks at its step budget, so a game it wins in ``k`` steps under a 50-step
budget it wins under any budget ``>= k`` and loses under a smaller one (the benchmark uses
this to read several budgets off one run).
"""

from __future__ import annotations

from typing import Any

from agentmem.agent.steps import ActionStep, ObservationStep, TaskStep
from agentmem.evals.alfworld.agents import EpisodeResult
from agentmem.evals.alfworld.env import AlfworldEnv
from agentmem.evals.alfworld.playbook_memory import Advice, load_playbook
from agentmem.evals.alfworld.tracker import GameTracker
from agentmem.hooks import RecallContext
from agentmem.llm.base import ToolCall
from agentmem.types import Outcome

SKILLS = ("plan-household-task", "find-object", "take-object", "clean-object", "heat-object", "cool-object", "examine-object-under-light", "put-object-in-receptacle")


class PlaybookAgent:
    """Plays ALFWorld with the shipped skills' playbook scripts and a memory hook (see the module docstring)."""

    name = "playbook"

    def __init__(self, memory: Any | None = None, *, update_memory: bool = False, skills_root: Any = None) -> None:
        self.memory = memory
        self.update_memory = update_memory
        self.scripts = {name: load_playbook(name, skills_root) for name in SKILLS}
        self.last_task: Any = None
        self.last_context: RecallContext | None = None
        self.last_outcome: Outcome | None = None

    def _view(self, t: GameTracker, goal: dict[str, Any], advice: Advice, env: AlfworldEnv, feedback: str) -> dict[str, Any]:
        v = t.view()
        target = goal["object"]
        v.update(goal=goal, target=target, receptacle=goal.get("receptacle"), lamp=goal.get("lamp"), admissible=env.admissible_commands, feedback=feedback,
                 exclude=list(t.delivered), search_order=advice.search_order(target, t.receptacles),
                 lamp_order=advice.search_order(goal["lamp"], t.receptacles) if goal.get("lamp") else None,
                 appliances=advice.appliances.get(goal.get("treatment") or "", []))
        return v

    def next_command(self, t: GameTracker, goal: dict[str, Any], advice: Advice, env: AlfworldEnv, feedback: str) -> tuple[str, str]:
        """``(skill, command)`` for the current state."""
        view = self._view(t, goal, advice, env, feedback)
        skill = self.scripts["plan-household-task"].next_skill(view)
        if skill is None:
            return "plan-household-task", "look"
        command = self.scripts[skill].next_command(view)
        if command is None and skill == "take-object":  # the object seen is gone (taken elsewhere): search on
            skill, command = "find-object", self.scripts["find-object"].next_command(view)
        return skill, command or "look"

    def run(self, env: AlfworldEnv, game_id: str, run_id: str = "alfworld") -> EpisodeResult:
        task = env.reset(game_id)
        context = self.memory.before_task(task) if self.memory is not None else RecallContext()
        advice = Advice(context.items)
        goal = self.scripts["plan-household-task"].parse_goal(str(task.metadata.get("goal", "")))
        tracker = GameTracker.start(task.instruction)
        steps: list[Any] = [TaskStep(index=0, task=task.instruction, memory_text=context.text, memory_ids=context.item_ids)]
        actions: list[str] = []
        observations: list[str] = []
        inadmissible = 0
        feedback = task.instruction
        while not env.done:
            skill, command = self.next_command(tracker, goal, advice, env, feedback)
            if command not in env.admissible_commands:
                inadmissible += 1
            call = ToolCall(id=f"call_{len(actions)}", name="act", arguments={"command": command})
            steps.append(ActionStep(index=len(steps), thought=f"skill {skill}", tool_calls=[call], native_tools=False))
            obs = env.step("act", {"command": command})
            feedback = obs.text
            tracker.update(command, feedback)
            actions.append(command)
            observations.append(feedback)
            steps.append(ObservationStep(index=len(steps), tool_call_id=call.id, tool_name="act", observation=feedback, reward=obs.reward, done=obs.done, native_tools=False))
        outcome: Outcome = env.evaluate(None)
        self.last_task, self.last_context, self.last_outcome = task, context, outcome
        if self.memory is not None and self.update_memory:
            self.memory.after_task(task, context, steps, outcome, run_id)
        return EpisodeResult(game_id=task.id, task_type=str(task.topic), won=outcome.success, steps=env.steps, turns=len(actions), intro=task.instruction,
                             actions=actions, observations=observations, inadmissible_actions=inadmissible, memory_tokens=context.tokens, memory_ids=context.item_ids,
                             trajectory=[s.model_dump(mode="json") for s in steps])
