"""YAML parsed with limits: size, nesting depth, aliases and nodes.

``yaml.safe_load`` is safe against code execution but not against resource exhaustion: 20,000
nested brackets raise ``RecursionError`` in the composer, a few hundred bytes of nested aliases
(a "billion laughs" bomb) expand into gigabytes once anything walks the result, and its error
messages quote the offending text. :func:`load` refuses all three early, with a short message
that names the file and never echoes its contents at length.

Example::

    data = load(text, where="skills/x/SKILL.md")   # raises YamlLimitError / ValueError subclasses
"""

from __future__ import annotations

from typing import Any

MAX_BYTES = 256 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 64
MAX_NODES = 50_000


class YamlLimitError(ValueError):
    """The YAML text is invalid or passes a limit; the message names the file, not its contents."""


def _loader_class(max_depth: int, max_aliases: int, max_nodes: int) -> Any:
    import yaml
    from yaml.events import AliasEvent

    class LimitedLoader(yaml.SafeLoader):
        def __init__(self, stream: Any) -> None:
            super().__init__(stream)
            self._depth = 0
            self._aliases = 0
            self._nodes = 0

        def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D401 - PyYAML hook
            if self.check_event(AliasEvent):
                self._aliases += 1
                if self._aliases > max_aliases:
                    raise YamlLimitError(f"more than {max_aliases} aliases")
            self._nodes += 1
            if self._nodes > max_nodes:
                raise YamlLimitError(f"more than {max_nodes} nodes")
            self._depth += 1
            try:
                if self._depth > max_depth:
                    raise YamlLimitError(f"nested deeper than {max_depth} levels")
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

    return LimitedLoader


def load(text: str | bytes, where: str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH, max_aliases: int = MAX_ALIASES, max_nodes: int = MAX_NODES) -> Any:
    """Parse one YAML document within the limits; raise :class:`YamlLimitError` naming ``where``."""
    import yaml

    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > max_bytes:
        raise YamlLimitError(f"{where}: YAML of {size} bytes, over the {max_bytes}-byte limit")
    loader = _loader_class(max_depth, max_aliases, max_nodes)(text)
    try:
        return loader.get_single_data()
    except YamlLimitError as exc:
        raise YamlLimitError(f"{where}: YAML refused: {exc}") from None
    except RecursionError:
        raise YamlLimitError(f"{where}: YAML refused: nested too deeply") from None
    except yaml.YAMLError as exc:
        raise YamlLimitError(f"{where}: invalid YAML ({short_error(exc)})") from None
    finally:
        loader.dispose()


def short_error(exc: BaseException, limit: int = 300) -> str:
    """An exception's message on one line, cut to ``limit`` characters (never the whole input)."""
    msg = " ".join(str(exc).split())
    return msg if len(msg) <= limit else msg[: limit - 3] + "..."
