"""The agent loop: :class:`Agent` (configuration), :class:`Runner` (execution as typed steps),
:class:`RunLog` (SQLite record of every run), the :class:`Environment` and :class:`MemoryHook`
protocols."""

from .agent import Agent
from agentmem.environment import Environment, Observation, TaskSpec
from agentmem.hooks import MemoryHook, RecallContext
from .runlog import RunLog, RunRecord, RunSummary
from .runner import RunResult, Runner, RunStream

__all__ = ["Agent", "Environment", "MemoryHook", "Observation", "RecallContext", "RunLog", "RunRecord", "RunResult", "RunStream", "RunSummary", "Runner", "TaskSpec"]
