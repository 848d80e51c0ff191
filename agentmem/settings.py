"""One settings object, one home folder.

Precedence (highest first): explicit keyword overrides (the CLI's options) > environment
variables (``AGENTMEM_*``, nested with ``__``, e.g. ``AGENTMEM_LLM__MODEL``) > the home's
``config.toml`` > defaults. Every user file lives under :attr:`Settings.home`
(``AGENTMEM_HOME``, default ``~/.agentmem``); tests point it at a temporary folder.

Example::

    from agentmem.settings import Settings
    s = Settings.load(home="/tmp/am", llm={"model": "openai/gpt-4o-mini"})
    s.paths.runs_db   # /tmp/am/runs.sqlite
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError


def default_home() -> Path:
    return Path(os.environ.get("AGENTMEM_HOME") or Path.home() / ".agentmem").expanduser()


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LLMSettings(_Section):
    """How the working LLM is reached (any litellm model string)."""

    model: str | None = Field(default=None, description="litellm model string, e.g. 'openai/gpt-4o-mini', 'ollama/llama3', 'local/gemma3-270m'. None = LLM-free paths only.")
    api_base: str | None = Field(default=None, description="OpenAI-compatible base URL (vLLM, LM Studio, a proxy).")
    api_key_env: str | None = Field(default=None, description="Name of the environment variable holding the API key, if not the provider's default.")
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(default=1024, gt=0)
    timeout_s: float = Field(default=60.0, gt=0, description="Per-request timeout.")
    max_retries: int = Field(default=4, ge=0, description="Retries on rate limits and transient errors, exponential backoff.")
    backoff_base_s: float = Field(default=1.0, ge=0)
    proxy_model: str | None = Field(default=None, description="Cheaper model for the MemSifter LLM proxy; defaults to `model`.")
    judge_model: str | None = Field(default=None, description="Model for LLM-judge scoring; defaults to `model`.")
    supports_tools: bool | None = Field(default=None, description="Override litellm's capability table: does the model take native tool calls? None = ask litellm (ReAct text fallback when False).")
    supports_response_format: bool | None = Field(default=None, description="Override litellm's capability table: does the provider enforce a JSON schema response_format? None = ask litellm.")


class EmbedderSettings(_Section):
    backend: Literal["minilm", "hash"] = Field(default="minilm", description="'minilm' = packaged all-MiniLM-L6-v2 (384-d); 'hash' = the fake, for tests.")
    model_path: str | None = Field(default=None, description="Folder of a sentence-transformers model; default is the packaged MiniLM.")
    batch_size: int = Field(default=64, gt=0)
    device: str = "cpu"


class IndexSettings(_Section):
    backend: Literal["chroma", "memory"] = "chroma"
    lexical: Literal["bm25", "fts5", "bm25s"] = Field(default="bm25", description="Lexical engine of hybrid search: 'bm25' = incremental BM25 persisted in SQLite under <home>/index/lexical (default); 'fts5' = SQLite FTS5 bm25(); 'bm25s' = in-memory bm25s, rebuilt after each change (docs/recall.md compares them).")
    chroma_url: str | None = Field(default=None, description="Use a Chroma server (`chroma run`) instead of the embedded client; env AGENTMEM_CHROMA_URL.")
    write_buffer_items: int = Field(default=256, ge=0, description="Embedded Chroma only: new vectors go to a fsynced write-behind buffer under <home>/index/write_buffer (searched exactly with every query) and reach Chroma in batches of this many ids; 0 = write every vector to Chroma at once.")
    write_buffer_age_s: float = Field(default=300.0, gt=0, description="A write also flushes the buffer when its oldest record is older than this.")
    defer_item_vectors: bool = Field(default=False, description="With the write buffer on: a fact written by remember (or any fact store write) is durable and found lexically when the call returns, and its vector is computed on a background thread and given to the index before the next dense search (off the writer's acknowledged path). Off by default: on a busy machine the thread slowed the remember-then-recall step (benchmarks/recall_write_ab.py --ab); the default embeds the item while the write's first fsyncs are in flight.")


class RecallSettings(_Section):
    budget_tokens: int = Field(default=2000, gt=0, description="Total tokens of memory put in context per task.")
    candidates_per_store: int = Field(default=20, gt=0)
    store_weights: dict[str, float] = Field(default_factory=lambda: {"skills": 1.0, "behaviors": 1.0, "concepts": 1.0, "subroutines": 1.0, "facts": 1.0})
    rrf_k: int = Field(default=60, gt=0)
    store_limits: dict[str, int] = Field(default_factory=lambda: {"conversation": 50}, description="Per-store shortlist size overriding candidates_per_store. Raw conversation turns get 50: on LoCoMo the hybrid top 20 holds 67% of the evidence turns, the top 50 81% (docs/recall.md).")
    max_store_share: float = Field(default=0.6, gt=0.0, le=1.0, description="Most of the token budget one store may take while other stores still have items to place.")
    proxy: Literal["auto", "none", "trained", "llm"] = Field(default="auto", description="Stage-2 proxy: 'auto' = the trained proxy when a checkpoint exists, else the hybrid order.")
    proxy_candidates: int = Field(default=50, gt=0, description="How many of the merged shortlist the proxy reranks.")


class AgentSettings(_Section):
    max_steps: int = Field(default=30, gt=0)
    max_tokens: int | None = Field(default=None, description="Token budget per run (prompt + completion).")
    max_seconds: float | None = Field(default=None, gt=0)


class SandboxSettings(_Section):
    timeout_s: float = Field(default=10.0, gt=0)
    memory_mb: int = Field(default=512, gt=0)
    max_output_bytes: int = Field(default=64_000, gt=0)
    isolation: Literal["bwrap", "namespaces", "none"] = Field(
        default="bwrap", description="How scripts are isolated: 'bwrap' (bubblewrap; runs are refused when it cannot start), or the weaker opt-ins 'namespaces' (agentmem's own namespaces) and 'none' (resource limits only)."
    )


class MemSkillSettings(_Section):
    """MemSkill's memory writer (controller, executor, designer)."""

    top_k: int = Field(default=7, gt=0, description="Memory skills the controller selects per span (K=7 as in the paper on LoCoMo).")
    span_tokens: int = Field(default=512, gt=0, description="Span size in estimated tokens (agentmem.tokens.approx_tokens: characters / 4).")
    span_overlap: int = Field(default=64, ge=0, description="Overlap between consecutive spans, in estimated tokens (characters / 4).")
    retrieve_k: int = Field(default=5, gt=0, description="Memories retrieved for each span and shown to the controller and executor.")
    max_proposals: int = Field(default=2, gt=0, description="Designer: at most this many refined or new skills per cycle.")
    patience: int = Field(default=2, gt=0, description="Designer: stop after this many cycles without a better mean reward.")


class Settings(BaseModel):
    """All of agentmem's configuration. Build it with :meth:`load`."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    home: Path = Field(default_factory=default_home)
    namespace: str = Field(default="default", description="Default namespace (user/agent/run scope) for reads and writes.")
    llm: LLMSettings = Field(default_factory=LLMSettings)
    embedder: EmbedderSettings = Field(default_factory=EmbedderSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    recall: RecallSettings = Field(default_factory=RecallSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    memskill: MemSkillSettings = Field(default_factory=MemSkillSettings)
    skill_paths: list[Path] = Field(default_factory=list, description="Extra skill folders to load besides the shipped and home libraries.")
    seed: int = 0

    @field_validator("home", mode="before")
    @classmethod
    def _expand(cls, v: Any) -> Any:
        return Path(v).expanduser() if v is not None else v

    @property
    def paths(self) -> "HomePaths":
        return HomePaths(self.home)

    @classmethod
    def load(cls, home: str | os.PathLike[str] | None = None, **overrides: Any) -> "Settings":
        """Build settings from defaults < ``<home>/config.toml`` < environment < ``overrides``.

        Raises :class:`ConfigError` naming the file and field when something is malformed.
        """
        home_path = Path(home).expanduser() if home is not None else default_home()
        file_values: dict[str, Any] = {}
        cfg = home_path / "config.toml"
        if cfg.exists():
            try:
                file_values = tomllib.loads(cfg.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"{cfg}: cannot parse settings file ({exc})") from exc
        env_values = _env_values()
        merged = _deep_merge(_deep_merge(file_values, env_values), {k: v for k, v in overrides.items() if v is not None})
        merged["home"] = home_path
        try:
            return cls(**merged)
        except ValidationError as exc:
            where = f"{cfg} / AGENTMEM_* environment / options" if file_values else "AGENTMEM_* environment / options"
            raise ConfigError(_describe(exc, where)) from exc

    def ensure_home(self) -> "Settings":
        """Create the home folder tree; raise :class:`ConfigError` if it is not writable."""
        try:
            for p in self.paths.all_dirs():
                p.mkdir(parents=True, exist_ok=True)
            probe = self.home / ".write-probe"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise ConfigError(f"home folder {self.home} is not usable ({exc}); set AGENTMEM_HOME or --home to a writable folder") from exc
        return self

    def public_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _env_values() -> dict[str, Any]:
    """``AGENTMEM_SECTION__FIELD=value`` pairs as a nested dict (plus two short aliases)."""
    out: dict[str, Any] = {}
    prefix = "AGENTMEM_"
    if os.environ.get("AGENTMEM_CHROMA_URL"):
        out.setdefault("index", {})["chroma_url"] = os.environ["AGENTMEM_CHROMA_URL"]
    if os.environ.get("AGENTMEM_MODEL"):
        out.setdefault("llm", {})["model"] = os.environ["AGENTMEM_MODEL"]
    for key, value in os.environ.items():
        if not key.startswith(prefix) or key in {"AGENTMEM_HOME", "AGENTMEM_CHROMA_URL", "AGENTMEM_MODEL"}:
            continue
        parts = key[len(prefix):].lower().split("__")
        if parts[0] not in Settings.model_fields:
            continue
        cur = out
        for part in parts[:-1]:
            cur = cur.setdefault(part, {})
        cur[parts[-1]] = value
    return out


def _deep_merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """``a`` updated by ``b``, recursively for nested dicts."""
    out = dict(a)
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _describe(exc: ValidationError, source: str) -> str:
    lines = [f"{source}: invalid settings"]
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"])
        lines.append(f"  {loc}: {err['msg']}")
    return "\n".join(lines)


class HomePaths:
    """Where each kind of file lives under the home folder."""

    def __init__(self, home: Path) -> None:
        self.home = home

    @property
    def skills(self) -> Path:
        return self.home / "skills"

    @property
    def stores(self) -> Path:
        return self.home / "stores"

    @property
    def index(self) -> Path:
        return self.home / "index"

    @property
    def runs_db(self) -> Path:
        return self.home / "runs.sqlite"

    @property
    def audit_db(self) -> Path:
        return self.home / "audit.sqlite"

    @property
    def checkpoints(self) -> Path:
        return self.home / "checkpoints"

    @property
    def prompts(self) -> Path:
        return self.home / "prompts"

    @property
    def snapshots(self) -> Path:
        return self.home / "snapshots"

    @property
    def cache(self) -> Path:
        return self.home / "cache"

    @property
    def evals(self) -> Path:
        return self.home / "evals"

    @property
    def lock(self) -> Path:
        return self.home / ".write.lock"

    def all_dirs(self) -> list[Path]:
        return [self.home, self.skills, self.stores, self.index, self.checkpoints, self.prompts, self.snapshots, self.cache, self.evals]
