"""Test-suite wiring: every test gets a temporary AGENTMEM_HOME and real LLM calls blocked.

* Real provider calls raise :class:`agentmem.errors.RealCallBlockedError` unless a test is
  marked ``real_llm`` (and then it is skipped without an API key) or ``local_llm``.
* ``shared_data`` points at ``../shared/data`` (or ``$AGENTMEM_DATA``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ["AGENTMEM_BLOCK_REAL_LLM"] = "1"

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("AGENTMEM_HOME", str(home))
    for key in list(os.environ):
        if key.startswith("AGENTMEM_") and key not in {"AGENTMEM_HOME", "AGENTMEM_BLOCK_REAL_LLM", "AGENTMEM_DATA"}:
            monkeypatch.delenv(key, raising=False)
    if request.node.get_closest_marker("local_llm") or request.node.get_closest_marker("real_llm"):
        monkeypatch.setenv("AGENTMEM_BLOCK_REAL_LLM", "0")
    return home


@pytest.fixture
def home(_isolated_home: Path) -> Path:
    return _isolated_home


@pytest.fixture
def settings(home: Path):
    from agentmem.settings import Settings

    return Settings.load(home=home, embedder={"backend": "hash"}, index={"backend": "memory"}).ensure_home()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    root = Path(os.environ.get("AGENTMEM_DATA") or REPO.parent / "shared" / "data")
    if not root.is_dir():
        pytest.skip(f"shared data not found at {root} (set AGENTMEM_DATA)")
    return root
