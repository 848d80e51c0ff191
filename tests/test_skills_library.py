"""SkillLibrary: loading (shipped, extra, user), shadowing, bad skills, search, sidecar stats,
versioned atomic writes with exact history/rollback, write gates, running playbooks."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmem.errors import SkillFormatError, StoreError, ValidationFailed
from agentmem.resources import skills_dir
from agentmem.sandbox import SandboxResult
from agentmem.stores.base import Store
from agentmem.stores.skill_library import SkillLibrary, lint_paths, playbook_test_gate
from agentmem.stores.skill_versions import read_folder
from agentmem.testing import FakeSandbox, HashEmbedder, InMemoryIndex
from agentmem.types import Lifecycle


def make(root: Path, name: str, description: str = "A test skill.", body: str = "Body.\n", meta: str = "", files: dict[str, str] | None = None) -> Path:
    d = root / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "SKILL.md").write_text(f"---\nname: {name}\ndescription: {description}\n{meta}---\n{body}")
    for rel, content in (files or {}).items():
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_text(content)
    return d


@pytest.fixture
def shipped(tmp_path) -> Path:
    root = tmp_path / "shipped"
    make(root / "general", "alpha", "Alpha helps with sorting lists of numbers.")
    make(root / "general", "beta", "Beta explains how to heat food in a microwave.")
    make(root / "tools", "gamma", "Gamma validates documents.", files={"scripts/run.py": "print('gamma')\n"})
    return root


@pytest.fixture
def lib(settings, shipped) -> SkillLibrary:
    return SkillLibrary(settings, shipped=shipped, embedder=HashEmbedder(), index=InMemoryIndex())


def test_shipped_library_lints_clean():
    problems = lint_paths([skills_dir()], run_tests=True)
    assert [str(p) for p in problems if p.severity == "error"] == []
    assert [str(p) for p in problems] == []  # no warnings either


def test_shipped_library_loads_every_group(settings):
    real = SkillLibrary(settings, embedder=HashEmbedder(), index=InMemoryIndex())
    assert real.problems == []
    groups = {s.group for s in real.skills()}
    assert {"general", "alfworld", "arc"} <= groups
    assert len(real.skills(group="alfworld")) >= 7 and len(real.skills(group="general")) >= 5
    assert real.get("json-validate").kind.value == "playbook"
    assert {s.name for s, _ in real.candidates("heat the mug with the microwave", k=3)} & {"heat-object"}


def test_store_protocol_and_records(lib):
    assert isinstance(lib, Store)
    recs = lib.records()
    assert [r.id for r in recs] == ["alpha", "beta", "gamma"]
    assert recs[2].metadata["kind"] == "playbook" and recs[0].metadata["group"] == "general"
    assert lib.get_record("beta").text.startswith("## Skill: beta")
    assert lib.get_record("nope") is None


def test_bad_skill_does_not_stop_the_others(settings, shipped):
    user = settings.paths.skills
    make(user, "good-one", "Fine.")
    (user / "broken").mkdir(parents=True)
    (user / "broken" / "SKILL.md").write_text("---\nname: broken\ndescription: [oops\n---\n")
    make(user, "wrong-folder").joinpath("SKILL.md").write_text("---\nname: other-name\ndescription: d\n---\n")
    (user / "no-skill-md" / "scripts").mkdir(parents=True)
    lib = SkillLibrary(settings, shipped=shipped, embedder=HashEmbedder(), index=InMemoryIndex())
    assert {"alpha", "beta", "gamma", "good-one"} <= set(lib.names())
    assert "broken" not in lib
    msgs = [str(p) for p in lib.problems]
    assert any("broken/SKILL.md: front-matter: invalid YAML" in m for m in msgs)
    assert any("wrong-folder/SKILL.md: name:" in m for m in msgs)
    assert any("no-skill-md: folder:" in m for m in msgs)
    with pytest.raises(StoreError, match="failed to load"):
        lib.get("broken")


def test_user_skill_shadows_shipped(settings, shipped):
    make(settings.paths.skills, "beta", "User's own beta.")
    lib = SkillLibrary(settings, shipped=shipped, embedder=HashEmbedder(), index=InMemoryIndex())
    assert lib.get("beta").description == "User's own beta." and lib.get("beta").origin == "user"
    assert [s.origin for s in lib.shadowed["beta"]] == ["shipped"]


def test_extra_paths_load_between_shipped_and_user(settings, shipped, tmp_path):
    extra = tmp_path / "extra"
    make(extra, "alpha", "Extra alpha.")
    make(extra, "delta", "Only in extra.")
    lib = SkillLibrary(settings, shipped=shipped, extra_paths=[extra], embedder=HashEmbedder(), index=InMemoryIndex())
    assert lib.get("alpha").origin == "extra" and lib.get("delta").origin == "extra"


def test_path_traversal_names_are_refused(lib, tmp_path):
    for bad in ("../x", "/x", "a/b", "..", "Bad"):
        with pytest.raises(SkillFormatError, match="name"):
            lib.create(bad, "d", "b")
        with pytest.raises(StoreError):
            lib.get(bad)
    with pytest.raises(SkillFormatError, match="inside the skill folder"):
        lib.create("ok-name", "d", "b", scripts={"../../evil.py": "x"})
    assert not (tmp_path / "evil.py").exists() and "ok-name" not in lib
    assert not any(p.name.startswith(("x", "evil")) for p in lib.root.parent.iterdir())


def test_create_revise_history_rollback_are_exact(lib):
    s1 = lib.create("sorter", "Sorts things.", "Use sorted().", scripts={"run.py": "print('v1')\n"}, metadata={"task-id": "t1"})
    assert s1.version == 1 and s1.origin == "user" and s1.metadata["source"] == "learned" and s1.metadata["task-id"] == "t1"
    v1_files = read_folder(s1.path)
    s2 = lib.revise("sorter", body="Use sorted(key=...).", files={"scripts/run.py": "print('v2')\n", "references/why.md": "because"}, note="better")
    assert s2.version == 2 and s2.metadata["note"] == "better" and "references/why.md" in s2.files
    v2_files = read_folder(s2.path)
    s3 = lib.revise("sorter", description="Sorts lists.", files={"references/why.md": None})
    assert s3.version == 3 and "references/why.md" not in s3.files
    hist = lib.history("sorter")
    assert [v.version for v in hist] == [1, 2]
    back = lib.rollback("sorter", 1)
    assert read_folder(back.path) == v1_files and back.version == 1
    back = lib.rollback("sorter", 2)
    assert read_folder(back.path) == v2_files
    # the rollback itself went to history, so it can be undone
    assert [v.version for v in lib.history("sorter")] == [1, 2, 3, 1]
    # the next revision gets a fresh number, never reusing a version in history
    assert lib.revise("sorter", body="again").version == 4


def test_revising_a_shipped_skill_writes_a_user_copy(lib, shipped):
    before = (shipped / "general" / "beta" / "SKILL.md").read_bytes()
    revised = lib.revise("beta", body="New beta body.")
    assert revised.origin == "user" and revised.path.parent == lib.root and revised.version == 2
    assert (shipped / "general" / "beta" / "SKILL.md").read_bytes() == before  # shipped file untouched
    restored = lib.rollback("beta")
    assert (restored.path / "SKILL.md").read_bytes() == before


def test_failed_write_loses_nothing(lib):
    lib.create("keep-me", "Kept.", "v1 body")
    before = read_folder(lib.get("keep-me").path)
    with pytest.raises(SkillFormatError, match="description"):
        lib.revise("keep-me", description="x" * 2000)
    lib.add_write_gate(lambda skill: (_ for _ in ()).throw(ValidationFailed(f"gate says no to {skill.name}")))
    with pytest.raises(ValidationFailed, match="gate says no"):
        lib.revise("keep-me", body="v2 body")
    assert read_folder(lib.get("keep-me").path) == before and lib.history("keep-me") == []
    assert not (lib.root / ".staging").exists()


def test_playbook_test_gate_refuses_failing_tests(lib):
    lib.add_write_gate(playbook_test_gate(FakeSandbox([SandboxResult(exit_code=1, stderr="AssertionError: 2 != 3")])))
    with pytest.raises(ValidationFailed, match="tests failed"):
        lib.create("adder", "Adds.", "b", scripts={"run.py": "print(1)\n", "test_run.py": "assert False\n"})
    assert "adder" not in lib
    lib.write_gates = [playbook_test_gate(FakeSandbox())]
    assert lib.create("adder", "Adds.", "b", scripts={"run.py": "print(1)\n", "test_run.py": "pass\n"}).kind.value == "playbook"


def test_add_imports_bytes_unchanged_and_refuses_duplicates(lib, tmp_path):
    ext = make(tmp_path / "elsewhere", "imported", "From another tool.", meta="metadata:\n  author: someone\n", files={"scripts/run.sh": "echo hi\n"})
    skill = lib.add(ext)
    assert read_folder(skill.path) == read_folder(ext) and skill.origin == "user"
    with pytest.raises(StoreError, match="already exists"):
        lib.add(ext)
    bad = make(tmp_path / "elsewhere", "bad-import", "x")
    (bad / "SKILL.md").write_text("---\nname: bad-import\n---\n")
    with pytest.raises(SkillFormatError, match="description"):
        lib.add(bad)
    same_as_shipped = make(tmp_path / "other", "alpha", "My alpha.")
    with pytest.raises(StoreError, match="already exists"):
        lib.add(same_as_shipped)
    assert lib.add(same_as_shipped, replace=True).description == "My alpha."


def test_remove_and_restore(lib):
    lib.create("temp-skill", "Temporary.", "b")
    files = read_folder(lib.get("temp-skill").path)
    lib.remove("temp-skill")
    assert "temp-skill" not in lib
    assert read_folder(lib.rollback("temp-skill").path) == files
    with pytest.raises(StoreError, match="shipped"):
        lib.remove("alpha")


def test_sidecar_stats_and_state_leave_files_untouched(lib, shipped):
    before = read_folder(shipped)
    lib.record_use("alpha", 1.0, True)
    lib.record_use("alpha", 0.0, False)
    st = lib.stats("alpha")
    assert st.uses == 2 and st.successes == 1 and st.mean_reward == 0.5 and st.recent_rewards == [1.0, 0.0]
    lib.set_state("beta", Lifecycle.quarantined)
    assert "beta" not in [s.name for s in lib.skills()] and lib.state("beta") is Lifecycle.quarantined
    assert "beta" not in [s.name for s, _ in lib.candidates("heat food microwave", k=5)]
    assert read_folder(shipped) == before
    again = SkillLibrary(lib.settings, shipped=shipped, embedder=HashEmbedder(), index=InMemoryIndex())
    assert again.stats("alpha").uses == 2 and again.state("beta") is Lifecycle.quarantined
    # a revision starts fresh statistics; the old version's record stays
    lib.revise("alpha", body="v2")
    assert lib.stats("alpha").uses == 0 and lib.stats("alpha", version=1).uses == 2


def test_search_scores_are_normalised(lib):
    hits = lib.search("heat food in a microwave", k=3)
    assert hits[0].record.id == "beta"
    assert all(0.0 <= h.score <= 1.0 for h in hits)
    assert lib.candidates("", k=3) == []
    bm25 = lib.candidates("validates documents", k=1, mode="bm25")
    assert bm25[0][0].name == "gamma"


def test_run_playbook_through_the_sandbox_seam(settings, shipped):
    fake = FakeSandbox([SandboxResult(exit_code=0, stdout="gamma\n")])
    lib = SkillLibrary(settings, shipped=shipped, embedder=HashEmbedder(), index=InMemoryIndex(), sandbox=fake)
    res = lib.run("gamma", ["--x"], files={"in.json": "{}"})
    assert res.ok and res.stdout == "gamma\n"
    call = fake.calls[0]
    assert call["script"] == "scripts/run.py" and call["args"] == ["--x"] and Path(call["root"]).name == "gamma" and call["files"] == {"in.json": "{}"}
    fake.assert_complete()
    with pytest.raises(StoreError, match="knowledge skill"):
        lib.run("alpha")


def test_run_real_playbook_and_failing_script_is_reported(settings, shipped):
    make(settings.paths.skills, "fails", "Fails.", files={"scripts/run.py": "import sys\nprint('partial')\nsys.exit(3)\n"})
    lib = SkillLibrary(settings, shipped=shipped, embedder=HashEmbedder(), index=InMemoryIndex())
    ok = lib.run("gamma")
    assert ok.ok and ok.stdout == "gamma\n"
    bad = lib.run("fails")
    assert not bad.ok and bad.exit_code == 3 and bad.stdout == "partial\n"
    assert lib.get("fails").path.joinpath("scripts/run.py").exists()  # nothing stored is lost


def test_lint_reports_missing_and_failing_scripts(tmp_path):
    root = tmp_path / "lib"
    make(root, "no-script", meta="metadata:\n  kind: playbook\n")
    make(root, "bad-test", files={"scripts/run.py": "print(1)\n", "scripts/test_run.py": "assert 1 + 1 == 3, 'arithmetic'\n"})
    make(root, "good-test", files={"scripts/run.py": "print(1)\n", "scripts/test_run.py": "import run\n"})
    make(root / "x", "good-test")  # a duplicate name in the same tree
    problems = lint_paths([root], run_tests=True)
    lines = [str(p) for p in problems]
    assert any("no-script/SKILL.md: scripts:" in line for line in lines)
    assert any("bad-test/scripts/test_run.py: test: failed (exit 1)" in line and "arithmetic" in line for line in lines)
    assert not any("good-test/scripts" in line for line in lines)
    assert any("duplicate skill name" in line for line in lines)


def test_dry_run_validates_and_gates_without_writing(settings, shipped):
    seen = []
    lib = SkillLibrary(settings, shipped=shipped, embedder=HashEmbedder(), index=InMemoryIndex(), validate_write=lambda s: seen.append(s.name))
    preview = lib.create("draft", "A draft.", "body", dry_run=True)
    assert preview.name == "draft" and seen == ["draft"] and "draft" not in lib and not (lib.root / "draft").exists()
    before = read_folder(shipped)
    assert lib.revise("alpha", body="changed", dry_run=True).version == 2
    assert lib.get("alpha").origin == "shipped" and read_folder(shipped) == before and lib.history("alpha") == []
    with pytest.raises(SkillFormatError):
        lib.create("draft", "", "body", dry_run=True)


def test_sidecar_sees_writes_from_another_library_instance(lib, settings, shipped):
    other = SkillLibrary(settings, shipped=shipped, embedder=HashEmbedder(), index=InMemoryIndex())
    assert lib.stats("alpha").uses == 0
    other.record_use("alpha", 1.0, True)
    assert lib.stats("alpha").uses == 1


def test_history_and_rollback_refuse_path_names(lib):
    for bad in ("../x", "/etc", "a/b"):
        with pytest.raises(StoreError, match="name"):
            lib.rollback(bad)
        with pytest.raises(StoreError, match="name"):
            lib.history(bad)
        with pytest.raises(StoreError, match="name"):
            lib.versions.save(bad, lib.root, version=1)
