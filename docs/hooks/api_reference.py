"""mkdocs hook: generate ``api.md`` from the public surface (``agentmem._SECTIONS`` / ``__all__``).

Every public name gets a mkdocstrings block, grouped by the sections of ``agentmem/__init__.py``,
so the reference always matches what ``import agentmem`` offers (names of components not in the
build are not public and not listed).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

INTRO = """# Python API reference

Generated from the docstrings of the names `agentmem` exports (`agentmem.__all__`); each is
importable from the top level (`import agentmem; agentmem.Memory`, `from agentmem import
SkillLibrary`) and loads on first use. Everything else is internal and may change; the test
doubles live in `agentmem.testing` (last section).
"""

TESTING = ["ScriptedLLM", "FunctionLLM", "HashEmbedder", "InMemoryIndex", "FakeSandbox", "tool_call_reply"]


def api_reference() -> str:
    import agentmem

    out = [INTRO]
    for section, names in agentmem._SECTIONS.items():
        present = [(n, m) for n, m in names.items() if n in agentmem.__all__]
        if not present:
            continue
        out.append(f"## {section}\n")
        for name, module in present:
            target = module if module.rsplit(".", 1)[-1] == name else f"{module}.{name}"
            out.append(f"::: {target}\n")
    out.append("## Test doubles (`agentmem.testing`)\n")
    out.extend(f"::: agentmem.testing.{n}\n" for n in TESTING)
    return "\n".join(out)


def on_files(files, config):  # noqa: ANN001, ANN201 - mkdocs hook signature
    from mkdocs.structure.files import File

    files.append(File.generated(config, "api.md", content=api_reference()))
    return files
