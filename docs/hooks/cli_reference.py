"""mkdocs hook: add a generated ``cli.md`` built from the live CLI."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def on_files(files, config):  # noqa: ANN001, ANN201 - mkdocs hook signature
    from mkdocs.structure.files import File

    from agentmem.cli.docgen import cli_reference

    files.append(File.generated(config, "cli.md", content=cli_reference()))
    return files
