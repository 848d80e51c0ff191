"""`import agentmem` (and the agent loop and CLI modules) load no heavy library."""

from __future__ import annotations

import json
import subprocess
import sys

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

HEAVY = ["litellm", "torch", "chromadb", "sentence_transformers", "bm25s", "llama_cpp", "matplotlib", "transformers"]


def _loaded_after(statement: str) -> list[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_agentmem_is_light():
    assert _loaded_after("import agentmem") == []


def test_agent_llm_and_cli_modules_are_light():
    stmt = "import agentmem.agent, agentmem.agent.runner, agentmem.llm.tools, agentmem.llm.structured, agentmem.llm.factory, agentmem.llm.litellm_adapter, agentmem.evals.chat, agentmem.cli"
    assert _loaded_after(stmt) == []
