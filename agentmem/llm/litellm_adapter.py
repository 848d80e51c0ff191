"""The one real :class:`~agentmem.llm.base.LLM`: any provider litellm knows, by model string.

``openai/gpt-4o-mini``, ``anthropic/claude-3-5-haiku-latest``, ``ollama/llama3``,
``hosted_vllm/Qwen/Qwen2.5-7B-Instruct`` (with ``api_base``), any OpenAI-compatible server
(``openai/<name>`` + ``api_base``) and the in-process ``local/gemma3-270m`` (the ``local`` extra,
see :mod:`agentmem.llm.local`).

litellm is imported lazily on first use (with ``LITELLM_LOCAL_MODEL_COST_MAP=True`` set first, so
nothing is fetched from the network at import). Every call:

* passes :func:`agentmem.llm.guard.check_real_call` first (the test suite blocks real calls);
* is retried with exponential backoff and jitter on rate limits, timeouts, connection errors
  and 5xx answers, never on authentication or bad-request errors;
* is bounded by a per-request timeout;
* is accounted: prompt/completion tokens and cost (litellm's ``completion_cost``; 0 when the
  model has no known price) go into the returned :class:`Completion` and :attr:`LiteLLM.usage`.

litellm's exceptions are translated into :mod:`agentmem.errors` types whose messages name the
model: :class:`UnknownModelError`, :class:`ProviderError`, :class:`LLMTimeoutError`.

Example::

    from agentmem.llm.litellm_adapter import LiteLLM
    from agentmem.llm.base import user
    llm = LiteLLM("openai/gpt-4o-mini", api_key_env="OPENAI_API_KEY")
    print(llm.complete([user("Say hi")]).text, llm.usage.total)
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import Callable
from typing import Any

from ..errors import ConfigError, LLMError, LLMTimeoutError, ProviderError, UnknownModelError
from .base import Completion, Message, ToolCall, ToolSpec, Usage, UsageMeter
from .guard import check_real_call

#: Key under which a tool call's arguments are kept when the model sent invalid JSON; the tool
#: layer turns it into an observation for the model instead of crashing.
RAW_ARGUMENTS_KEY = "__raw_arguments__"

LOCAL_PREFIX = "local/"


def import_litellm() -> Any:
    """Import litellm without network access at import time and with its banner quiet."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    return litellm


def _retryable_types(litellm: Any) -> tuple[type[BaseException], ...]:
    return (
        litellm.RateLimitError,
        litellm.Timeout,
        litellm.APIConnectionError,
        litellm.InternalServerError,
        litellm.ServiceUnavailableError,
        litellm.BadGatewayError,
    )


def _status_code(exc: BaseException) -> int | None:
    code = getattr(exc, "status_code", None)
    return code if isinstance(code, int) else None


class LiteLLM:
    """An :class:`~agentmem.llm.base.LLM` over ``litellm.completion``.

    Args:
        model: litellm model string (``provider/name``).
        api_base: base URL of an OpenAI-compatible server (vLLM, LM Studio, a proxy).
        api_key_env: name of the environment variable holding the API key; ``None`` lets
            litellm use the provider's default variable (``OPENAI_API_KEY`` ...).
        temperature, max_tokens: defaults for every call (a call may override them).
        timeout_s: per-request timeout in seconds.
        max_retries: retries after the first attempt on transient errors.
        backoff_base_s: first backoff delay; attempt ``n`` waits ``base * 2**n`` times a
            random factor in [0.5, 1.5), capped at ``backoff_max_s``.
        supports_tools, supports_response_format: override litellm's capability tables
            (``None`` = ask litellm). Useful for self-hosted models litellm has no entry for.
        extra: extra keyword arguments passed to every ``litellm.completion`` call
            (e.g. ``{"mock_response": "hi"}`` in tests, ``{"top_p": 0.9}``).
        sleep: the sleep function used between retries (tests patch it).
    """

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None = None,
        api_key_env: str | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = 1024,
        timeout_s: float = 60.0,
        max_retries: int = 4,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 30.0,
        supports_tools: bool | None = None,
        supports_response_format: bool | None = None,
        extra: dict[str, Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        if not model or not isinstance(model, str):
            raise ConfigError("llm.model: expected a litellm model string such as 'openai/gpt-4o-mini'")
        self.model = model
        self.api_base = api_base
        self.api_key_env = api_key_env
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.extra: dict[str, Any] = dict(extra or {})
        self.sleep = sleep
        self.async_sleep = async_sleep
        self.usage = UsageMeter()
        #: Retries performed so far (all calls), for monitoring and tests.
        self.retries = 0
        self._rng = random.Random()
        if api_key_env and not os.environ.get(api_key_env):
            raise ConfigError(f"llm.api_key_env: environment variable {api_key_env!r} (API key for {model!r}) is not set")
        self._provider = self._resolve_provider()
        self.supports_tools = self._capability("supports_function_calling") if supports_tools is None else supports_tools
        self.supports_response_format = self._capability("supports_response_schema") if supports_response_format is None else supports_response_format

    # ------------------------------------------------------------------ set-up
    def _resolve_provider(self) -> str:
        """Check that litellm (or a registered local provider) knows the model string."""
        if self.model.startswith(LOCAL_PREFIX):
            from .local import register_local_provider

            register_local_provider()
        litellm = import_litellm()
        try:
            _, provider, _, _ = litellm.get_llm_provider(self.model, api_base=self.api_base)
        except Exception as exc:  # litellm raises BadRequestError for an unknown provider
            hint = " (for an OpenAI-compatible server use 'openai/<name>' with api_base)" if self.api_base else ""
            raise UnknownModelError(
                f"unknown model string {self.model!r}: litellm knows no provider for it{hint}; "
                "expected 'provider/name', e.g. 'openai/gpt-4o-mini', 'anthropic/claude-3-5-haiku-latest', "
                "'ollama/llama3', 'hosted_vllm/<name>', 'local/gemma3-270m'",
                model=self.model,
            ) from exc
        return str(provider)

    def _capability(self, helper: str) -> bool:
        if self.model.startswith(LOCAL_PREFIX):
            from .local import LOCAL_CAPABILITIES

            return LOCAL_CAPABILITIES.get(helper, False)
        litellm = import_litellm()
        try:
            return bool(getattr(litellm, helper)(model=self.model))
        except Exception:  # unknown to litellm's tables: assume the conservative answer
            return False

    def __repr__(self) -> str:
        return f"LiteLLM({self.model!r}, api_base={self.api_base!r})"

    # ------------------------------------------------------------------ calls
    def _request(
        self,
        messages: list[Message],
        tools: list[ToolSpec] | None,
        stop: list[str] | None,
        response_format: dict[str, Any] | None,
        temperature: float | None,
        max_tokens: int | None,
    ) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "model": self.model,
            "messages": [m.to_openai() for m in messages],
            "temperature": self.temperature if temperature is None else temperature,
            "timeout": self.timeout_s,
            "num_retries": 0,  # retries are ours (counted, with jitter)
        }
        mt = self.max_tokens if max_tokens is None else max_tokens
        if mt is not None:
            kw["max_tokens"] = mt
        if self.api_base:
            kw["api_base"] = self.api_base
        if self.api_key_env:
            kw["api_key"] = os.environ.get(self.api_key_env)
        if tools:
            kw["tools"] = [t.to_openai() for t in tools]
        if stop:
            kw["stop"] = list(stop)
        if response_format is not None:
            kw["response_format"] = to_response_format(response_format)
        kw.update(self.extra)
        return kw

    def _backoff(self, attempt: int) -> float:
        delay = self.backoff_base_s * (2**attempt) * (0.5 + self._rng.random())
        return min(delay, self.backoff_max_s)

    def _retry_delay(self, exc: Exception, litellm: Any, retryable: tuple[type[BaseException], ...], attempt: int) -> float:
        """Seconds to wait before retrying after ``exc`` on try ``attempt`` (0-based); raise when
        the error is not transient or the retries are spent (as an agentmem error naming the model)."""
        if isinstance(exc, retryable):
            if attempt >= self.max_retries:
                raise self._translate(exc, litellm, attempts=attempt + 1) from exc
            self.retries += 1
            return self._backoff(attempt)
        if isinstance(exc, LLMError):
            raise exc
        raise self._translate(exc, litellm, attempts=attempt + 1) from exc

    def complete(
        self,
        messages: list[Message],
        *,
        tools: list[ToolSpec] | None = None,
        stop: list[str] | None = None,
        response_format: dict[str, Any] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        """One chat completion (retried on transient errors); see the module docstring."""
        check_real_call(self.model)
        litellm = import_litellm()
        kw = self._request(messages, tools, stop, response_format, temperature, max_tokens)
        retryable = _retryable_types(litellm)
        attempt = 0
        while True:
            try:
                response = litellm.completion(**kw)
                break
            except Exception as exc:
                self.sleep(self._retry_delay(exc, litellm, retryable, attempt))
                attempt += 1
        return self._to_completion(response, litellm)

    async def acomplete(
        self,
        messages: list[Message],
        *,
        tools: list[ToolSpec] | None = None,
        stop: list[str] | None = None,
        response_format: dict[str, Any] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        """Async twin of :meth:`complete` (``litellm.acompletion``), for concurrent evaluation."""
        check_real_call(self.model)
        litellm = import_litellm()
        kw = self._request(messages, tools, stop, response_format, temperature, max_tokens)
        retryable = _retryable_types(litellm)
        attempt = 0
        while True:
            try:
                response = await litellm.acompletion(**kw)
                break
            except Exception as exc:
                await self.async_sleep(self._retry_delay(exc, litellm, retryable, attempt))
                attempt += 1
        return self._to_completion(response, litellm)

    # ------------------------------------------------------------------ translation
    def _translate(self, exc: BaseException, litellm: Any, *, attempts: int) -> LLMError:
        """A litellm (or other) exception as an agentmem error naming the model."""
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        detail = detail[:500]
        tried = f" after {attempts} attempt{'s' if attempts != 1 else ''}"
        if isinstance(exc, litellm.Timeout):
            return LLMTimeoutError(f"model {self.model!r} did not answer within {self.timeout_s:g}s{tried}: {detail}", model=self.model, retryable=True)
        if isinstance(exc, litellm.NotFoundError):
            return UnknownModelError(f"model {self.model!r}: the provider does not know this model ({detail})", model=self.model)
        if isinstance(exc, litellm.BadRequestError) and "LLM Provider NOT provided" in str(exc):
            return UnknownModelError(f"unknown model string {self.model!r}: {detail}", model=self.model)
        if isinstance(exc, litellm.AuthenticationError):
            where = f"environment variable {self.api_key_env!r}" if self.api_key_env else "the provider's default API key variable"
            return ProviderError(f"model {self.model!r}: authentication failed (check {where}): {detail}", model=self.model)
        if isinstance(exc, litellm.RateLimitError):
            return ProviderError(f"model {self.model!r}: rate limited{tried}: {detail}", model=self.model, retryable=True)
        if isinstance(exc, _retryable_types(litellm)):
            return ProviderError(f"model {self.model!r}: transient provider error{tried}: {detail}", model=self.model, retryable=True)
        if isinstance(exc, litellm.BadRequestError):
            return ProviderError(f"model {self.model!r}: request rejected: {detail}", model=self.model)
        code = _status_code(exc)
        kind = f"HTTP {code}" if code else type(exc).__name__
        return ProviderError(f"model {self.model!r}: provider error ({kind}){tried}: {detail}", model=self.model, retryable=bool(code and code >= 500))

    def _to_completion(self, response: Any, litellm: Any) -> Completion:
        try:
            choice = response.choices[0]
            message = choice.message
        except (AttributeError, IndexError, TypeError) as exc:
            raise ProviderError(f"model {self.model!r}: reply without choices ({str(response)[:200]})", model=self.model) from exc
        calls: list[ToolCall] = []
        for i, tc in enumerate(getattr(message, "tool_calls", None) or []):
            fn = tc.function
            raw = fn.arguments if fn.arguments is not None else "{}"
            try:
                args = json.loads(raw) if isinstance(raw, str) else dict(raw)
                if not isinstance(args, dict):
                    args = {RAW_ARGUMENTS_KEY: raw}
            except (json.JSONDecodeError, TypeError, ValueError):
                args = {RAW_ARGUMENTS_KEY: raw}
            calls.append(ToolCall(id=tc.id or f"call_{i}", name=fn.name or "", arguments=args))
        raw_usage = getattr(response, "usage", None)
        prompt_tokens = int(getattr(raw_usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(raw_usage, "completion_tokens", 0) or 0)
        try:
            cost = float(litellm.completion_cost(completion_response=response) or 0.0)
        except Exception:  # no price known for this model (local, self-hosted): cost 0
            cost = 0.0
        usage = Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, cost_usd=cost, calls=1)
        self.usage.add(usage)
        return Completion(
            text=message.content or "",
            tool_calls=calls,
            usage=usage,
            model=self.model,
            finish_reason=getattr(choice, "finish_reason", None),
        )


def to_response_format(schema_or_format: dict[str, Any]) -> dict[str, Any]:
    """The OpenAI ``response_format`` for a JSON schema (passed through if already one)."""
    kind = schema_or_format.get("type")
    if kind == "json_object" or (kind == "json_schema" and "json_schema" in schema_or_format):
        return schema_or_format
    name = str(schema_or_format.get("title") or "reply")
    safe = "".join(c if c.isalnum() or c in "_-" else "_" for c in name)[:64] or "reply"
    return {"type": "json_schema", "json_schema": {"name": safe, "schema": schema_or_format}}
