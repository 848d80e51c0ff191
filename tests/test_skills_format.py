"""The Agent Skills format: validation of every field, round trips, canonical writing."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmem.errors import SkillFormatError
from agentmem.stores.skill_format import (
    Skill,
    SkillKind,
    check_name,
    lint_skill_dir,
    load_skill_dir,
    parse_skill_dir,
    render_skill_md,
)


def write_skill(root: Path, folder: str, text: str | bytes, files: dict[str, str] | None = None) -> Path:
    d = root / folder
    d.mkdir(parents=True, exist_ok=True)
    (d / "SKILL.md").write_bytes(text.encode() if isinstance(text, str) else text)
    for rel, content in (files or {}).items():
        p = d / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content)
    return d


def fields(problems) -> list[str]:
    return [p.field for p in problems if p.severity == "error"]


@pytest.mark.parametrize(
    "name, ok",
    [
        ("a", True),
        ("pdf-processing", True),
        ("x2-y3", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("", False),
        ("Upper", False),
        ("-lead", False),
        ("trail-", False),
        ("dou--ble", False),
        ("under_score", False),
        ("sp ace", False),
        ("../x", False),
        ("/x", False),
        ("a/b", False),
        ("..", False),
        (".hidden", False),
        ("caf\u00e9", False),
    ],
)
def test_name_rules(name, ok):
    assert (check_name(name) is None) is ok


def test_path_like_names_get_a_path_message():
    assert "path" in check_name("../x")
    assert "path" in check_name("a/b")


def test_valid_minimal_skill_parses_as_knowledge(tmp_path):
    d = write_skill(tmp_path, "tiny", "---\nname: tiny\ndescription: Does a tiny thing.\n---\nBody.\n")
    skill = parse_skill_dir(d)
    assert skill.name == "tiny" and skill.kind is SkillKind.knowledge and skill.version == 1
    assert skill.body == "Body.\n" and skill.files == [] and skill.entry is None
    assert "Does a tiny thing." in skill.prompt_text() and skill.search_text() == "tiny | Does a tiny thing."


@pytest.mark.parametrize(
    "text, field",
    [
        ("name: x\ndescription: y\n", "front-matter"),  # no front matter at all
        ("---\nname: bad\ndescription: y\n", "front-matter"),  # unterminated
        ("---\nname: bad\ndescription: [unclosed\n---\n", "front-matter"),  # invalid YAML
        ("---\n- a\n- b\n---\n", "front-matter"),  # not a mapping
        ("---\ndescription: y\n---\n", "name"),
        ("---\nname: bad\n---\n", "description"),
        ("---\nname: bad\ndescription: ''\n---\n", "description"),
        ("---\nname: bad\ndescription: 42\n---\n", "description"),
        ("---\nname: bad\ndescription: y\nversion: 2\n---\n", "version"),  # agentmem fields belong under metadata
        ("---\nname: bad\ndescription: y\nmetadata: [a]\n---\n", "metadata"),
        ("---\nname: bad\ndescription: y\nmetadata:\n  uses: 3\n---\n", "metadata.uses"),
        ("---\nname: bad\ndescription: y\nlicense: 3\n---\n", "license"),
        ("---\nname: bad\ndescription: y\nallowed-tools: [a, b]\n---\n", "allowed-tools"),
        ("---\nname: other\ndescription: y\n---\n", "name"),  # differs from folder
        ("---\nname: Bad\ndescription: y\n---\n", "name"),
    ],
)
def test_malformed_front_matter_is_reported_with_file_and_field(tmp_path, text, field):
    d = write_skill(tmp_path, "bad", text)
    skill, problems = load_skill_dir(d)
    assert skill is None
    assert field in fields(problems), problems
    assert all(str(d / "SKILL.md") in str(p) for p in problems if p.field == field)
    with pytest.raises(SkillFormatError, match="bad"):
        parse_skill_dir(d)


def test_length_limits(tmp_path):
    d = write_skill(tmp_path, "long", f"---\nname: long\ndescription: {'d' * 1025}\ncompatibility: {'c' * 501}\n---\n")
    assert set(fields(lint_skill_dir(d))) == {"description", "compatibility"}
    d = write_skill(tmp_path, "edge", f"---\nname: edge\ndescription: {'d' * 1024}\ncompatibility: {'c' * 500}\n---\nx\n")
    assert fields(lint_skill_dir(d)) == []


def test_not_utf8_and_missing_skill_md(tmp_path):
    d = write_skill(tmp_path, "latin", b"---\nname: latin\ndescription: caf\xe9\n---\n")
    assert fields(lint_skill_dir(d)) == ["front-matter"]
    empty = tmp_path / "empty"
    empty.mkdir()
    probs = lint_skill_dir(empty)
    assert probs and probs[0].field == "folder" and "SKILL.md" in probs[0].message


def test_playbook_missing_scripts_and_missing_entry(tmp_path):
    d = write_skill(tmp_path, "pb", "---\nname: pb\ndescription: y\nmetadata:\n  kind: playbook\n---\nx\n")
    assert "scripts" in fields(lint_skill_dir(d))
    d = write_skill(tmp_path, "pb2", "---\nname: pb2\ndescription: y\nmetadata:\n  entry: scripts/gone.py\n---\nx\n", {"scripts/other.py": "print(1)\n"})
    probs = lint_skill_dir(d)
    assert "metadata.entry" in fields(probs) and any("does not exist" in p.message for p in probs)
    d = write_skill(tmp_path, "pb3", "---\nname: pb3\ndescription: y\n---\nx\n", {"scripts/a.py": "", "scripts/b.py": ""})
    assert "metadata.entry" in fields(lint_skill_dir(d))  # ambiguous entry
    d = write_skill(tmp_path, "pb4", "---\nname: pb4\ndescription: y\nmetadata:\n  entry: ../../etc/passwd\n---\nx\n", {"scripts/run.py": ""})
    assert "metadata.entry" in fields(lint_skill_dir(d))


def test_entry_conventions_and_tests(tmp_path):
    d = write_skill(tmp_path, "conv", "---\nname: conv\ndescription: y\n---\nx\n", {"scripts/run.py": "", "scripts/test_run.py": "", "references/notes.md": "n"})
    skill = parse_skill_dir(d)
    assert skill.kind is SkillKind.playbook and skill.entry == "scripts/run.py" and skill.tests == ["scripts/test_run.py"]
    assert skill.files == ["references/notes.md", "scripts/run.py", "scripts/test_run.py"]
    d = write_skill(tmp_path, "single", "---\nname: single\ndescription: y\n---\nx\n", {"scripts/go.sh": "echo hi\n"})
    assert parse_skill_dir(d).entry == "scripts/go.sh"
    d = write_skill(tmp_path, "refs", "---\nname: refs\ndescription: y\n---\nx\n", {"references/a.md": "a", "assets/t.txt": "t"})
    assert parse_skill_dir(d).kind is SkillKind.knowledge


def test_symlink_out_of_the_folder_is_an_error(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("s")
    d = write_skill(tmp_path, "link", "---\nname: link\ndescription: y\n---\nx\n")
    (d / "references").mkdir()
    (d / "references" / "s.txt").symlink_to(secret)
    assert "folder" in fields(lint_skill_dir(d))


EXTERNAL = (
    "---\r\n"
    "# written by another tool: comments, quoting and CRLF line ends are its own\r\n"
    'name: "pdf-tools"\r\n'
    "description: >-\r\n"
    "  Extract text and tables from PDF files. Use when the user mentions PDFs,\r\n"
    "  forms or document extraction.\r\n"
    "license: Proprietary. LICENSE.txt has complete terms\r\n"
    "compatibility: Requires python3 and network access\r\n"
    "allowed-tools: Bash(python:*) Read\r\n"
    "metadata: {author: example-org, version: '1.0'}\r\n"
    "---\r\n"
    "\r\n"
    "# PDF tools\r\n"
    "Run `scripts/extract.py FILE`.\r\n"
)


def test_external_skill_round_trips_byte_identically(tmp_path):
    d = write_skill(tmp_path, "pdf-tools", EXTERNAL.encode(), {"scripts/extract.py": "print('x')\n"})
    skill = parse_skill_dir(d)
    assert skill.name == "pdf-tools" and skill.allowed_tools == "Bash(python:*) Read" and skill.metadata == {"author": "example-org", "version": "1.0"}
    assert skill.version == 1 and skill.kind is SkillKind.playbook and skill.entry == "scripts/extract.py"
    assert skill.is_untouched() and skill.to_markdown() == EXTERNAL.encode()
    changed = skill.model_copy(update={"description": "New description."}, deep=True)
    assert not changed.is_untouched()
    out = changed.to_markdown()
    assert out != EXTERNAL.encode() and b"New description." in out
    # what agentmem writes is valid again, and keeps every other field
    d2 = write_skill(tmp_path / "again", "pdf-tools", out)
    again = parse_skill_dir(d2)
    assert again.description == "New description." and again.license == skill.license and again.metadata == skill.metadata and again.body == skill.body


def test_rendered_metadata_values_stay_strings():
    raw = render_skill_md({"name": "n", "description": "Use: when x", "metadata": {"version": "2", "flag": "true", "when": "2024-01-01", "empty": ""}}, "\nbody\n")
    import yaml

    front = yaml.safe_load(raw.decode().split("---\n")[1])
    assert all(isinstance(v, str) for v in front["metadata"].values()) and front["description"] == "Use: when x"


def test_skill_model_field_alias():
    s = Skill.model_validate({"name": "a", "description": "b", "allowed-tools": "Read"})
    assert s.allowed_tools == "Read" and s.front_matter()["allowed-tools"] == "Read"
