"""Hostile and corrupt files: refused quickly with a short error naming the file; the rest of the store stays readable."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from agentmem.errors import StoreError
from agentmem.safe_yaml import YamlLimitError, load
from agentmem.stores.skill_format import load_skill_dir

DEEP = "---\nname: deep\ndescription: " + "[" * 20_000 + "]" * 20_000 + "\n---\nbody\n"
BOMB = (
    "---\nname: bomb\ndescription: x\nmetadata:\n"
    '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
    "---\nbody\n"
)
BIG = "---\nname: big\ndescription: x\nmetadata:\n  pad: '" + "x" * (10 * 1024 * 1024) + "'\n---\nbody\n"


@pytest.mark.parametrize("text,needle", [(DEEP, "nested deeper"), (BOMB, "aliases"), (BIG, "limit")], ids=["20000-deep", "alias-bomb", "10MB-front-matter"])
def test_hostile_skill_md_is_refused_quickly_with_a_short_error(tmp_path, text, needle):
    folder = tmp_path / text.split("name: ", 1)[1].split("\n", 1)[0]
    folder.mkdir()
    (folder / "SKILL.md").write_text(text)
    start = time.monotonic()
    skill, probs = load_skill_dir(folder)
    took = time.monotonic() - start
    assert skill is None and probs
    msg = " ".join(str(p) for p in probs)
    assert needle in msg and str(folder / "SKILL.md") in msg, msg
    assert len(msg) < 1000, "the error must not echo the file"
    assert took < 5, took


def test_alias_bomb_in_450_bytes_is_refused_by_the_loader():
    assert len(BOMB) < 700
    with pytest.raises(YamlLimitError, match="x.yaml.*aliases"):
        load(BOMB.split("---\n")[1], "x.yaml")
    assert load("a: &x [1, 2]\nb: *x\n", "ok.yaml") == {"a": [1, 2], "b": [1, 2]}


def test_skill_library_lists_the_good_skills_beside_hostile_ones(settings):
    from agentmem.stores.skill_library import SkillLibrary

    root = settings.paths.skills
    for name, text in (("deep", DEEP), ("bomb", BOMB)):
        (root / name).mkdir(parents=True)
        (root / name / "SKILL.md").write_text(text)
    (root / "fine").mkdir()
    (root / "fine" / "SKILL.md").write_text("---\nname: fine\ndescription: a fine skill\n---\nDo it.\n")
    lib = SkillLibrary(settings, shipped=False)
    assert lib.names() == ["fine"]


def test_skill_add_refuses_fifos_and_devices_without_hanging(settings, tmp_path):
    from agentmem.stores.skill_library import SkillLibrary

    src = tmp_path / "evil"
    (src / "scripts").mkdir(parents=True)
    (src / "SKILL.md").write_text("---\nname: evil\ndescription: an evil playbook\n---\nRun it.\n")
    (src / "scripts" / "run.sh").write_text("echo hi\n")
    os.mkfifo(src / "scripts" / "pipe")
    lib = SkillLibrary(settings, shipped=False)
    with pytest.raises(StoreError, match="pipe: not a regular file"):
        lib.add(src)
    os.unlink(src / "scripts" / "pipe")
    if os.geteuid() == 0:
        os.mknod(src / "scripts" / "zero", 0o600 | 0o020000, os.makedev(1, 5))
        with pytest.raises(StoreError, match="zero: not a regular file"):
            lib.add(src)
        os.unlink(src / "scripts" / "zero")
    assert lib.add(src).name == "evil"


def test_one_corrupt_behavior_file_is_reported_and_skipped(settings):
    from agentmem.stores.behaviors import BehaviorHandbook

    from agentmem.stores.behaviors import Behavior

    hb = BehaviorHandbook(settings)
    hb.add(Behavior(name="behavior_check_units", instruction="Check the units of every quantity before answering."))
    hb.add(Behavior(name="behavior_state_plan", instruction="State a short plan before acting."))
    bad = hb.files.dir / "zz-broken.yaml"
    bad.write_text("name: [unclosed\n" + "x" * 5000)
    names = sorted(b.name for b in hb.all())
    assert names == ["behavior_check_units", "behavior_state_plan"]
    assert any("zz-broken.yaml" in p and len(p) < 500 for p in hb.files.problems)
