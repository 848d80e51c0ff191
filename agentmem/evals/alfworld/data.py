"""ALFWorld data, task types and success accounting (no ``alfworld`` import here).

* Splits by ALFWorld's official names (:data:`SPLIT_SPECS`: ``train``, ``valid_seen``,
  ``valid_unseen``, plus ``valid_train``, the bundled 200-game pool's folder); ``unseen`` and
  ``seen`` stay as aliases (:func:`canonical_split`). Which data a run uses (a bundled archive,
  a folder in the official layout, any tarball, ``ALFWORLD_DATA``) is decided by
  :func:`agentmem.evals.alfworld.sources.resolve_alfworld_data`.
* :func:`prepare_alfworld_data` unpacks a game tarball (``valid_unseen_134.tar.gz``: the 134
  solvable out-of-distribution evaluation games; ``valid_train_200.tar.gz``: 200 training
  games, the pool for building memory before evaluation) into a cache folder after checking
  its sha256, and returns the folder to use as ``ALFWORLD_DATA``. Nothing is written into the
  repository.
* :func:`alfworld_config` loads alfworld's ``base_config.yaml`` and points its dataset and
  logic paths at that folder.
* :func:`task_type_of` derives the task type from a game path (the folder name starts with
  alfworld's long task name, e.g. ``pick_clean_then_place_in_recep-Cloth-None-CounterTop-424``);
  :func:`summarise_games` gives success per task type.

Example::

    data_dir = prepare_alfworld_data("unseen")              # ~/.agentmem/cache/alfworld/valid_unseen-6f5ba71d0c68
    cfg = alfworld_config(data_dir, "unseen")
    games = list_games(data_dir, "unseen")                   # 134 GameRef, sorted by id
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agentmem.errors import ConfigError
from agentmem.fileio import sha256_file

Split = str  # a key of SPLIT_SPECS or of SPLIT_ALIASES


#: alfworld's task-type folder prefix -> the short name we report.
TASK_TYPES: dict[str, str] = {
    "pick_and_place_simple": "pick_and_place",
    "pick_clean_then_place_in_recep": "pick_clean_then_place",
    "pick_heat_then_place_in_recep": "pick_heat_then_place",
    "pick_cool_then_place_in_recep": "pick_cool_then_place",
    "look_at_obj_in_light": "look_at_obj_in_light",
    "pick_two_obj_and_place": "pick_two_obj_and_place",
}
TASK_TYPE_ORDER = list(TASK_TYPES.values())


class SplitSpec(BaseModel):
    """One ALFWorld split by its official name: its folder under ``json_2.1.1/`` and how alfworld reads it."""

    name: str
    folder: str = Field(..., description="Folder of the games under json_2.1.1/ in the official layout.")
    train_eval: str = Field(..., description="AlfredTWEnv's train_eval argument for this split.")
    config_key: str = Field(..., description="base_config.yaml dataset key that points at the games.")
    description: str = ""


#: The official split names (``json_2.1.1/<folder>`` of ALFWorld's release), plus ``valid_train``,
#: the folder name of the bundled 200-game training-distribution pool.
SPLIT_SPECS: dict[str, SplitSpec] = {
    "train": SplitSpec(name="train", folder="train", train_eval="train", config_key="data_path",
                       description="training games (the bundled data holds a 200-game sample of them: valid_train)"),
    "valid_seen": SplitSpec(name="valid_seen", folder="valid_seen", train_eval="eval_in_distribution", config_key="eval_id_data_path",
                            description="in-distribution evaluation games (seen rooms)"),
    "valid_unseen": SplitSpec(name="valid_unseen", folder="valid_unseen", train_eval="eval_out_of_distribution", config_key="eval_ood_data_path",
                              description="out-of-distribution evaluation games (unseen rooms; 134 bundled)"),
    "valid_train": SplitSpec(name="valid_train", folder="valid_train", train_eval="train", config_key="data_path",
                             description="a sample of training-distribution games (the bundled 200-game pool's folder)"),
}
#: Older names kept working.
SPLIT_ALIASES: dict[str, str] = {"unseen": "valid_unseen", "seen": "valid_seen"}


def canonical_split(split: str) -> str:
    """The official name of ``split`` (aliases resolved); :class:`ConfigError` naming it if unknown."""
    name = SPLIT_ALIASES.get(split, split)
    if name not in SPLIT_SPECS:
        raise ConfigError(f"--split {split!r}: expected one of {sorted(SPLIT_SPECS)} (aliases: {', '.join(f'{k}={v}' for k, v in SPLIT_ALIASES.items())})")
    return name


#: Splits whose games are training data (the ``train_labels`` write gate may learn from them).
TRAIN_SPLITS = frozenset({"train", "valid_train"})


def gate_split(split_or_game_id: str) -> str | None:
    """``"train"`` for a training split (or a game id under one), ``"test"`` for an evaluation split
    (valid_seen, valid_unseen and their aliases), ``None`` when the name is no known split."""
    head = split_or_game_id.replace("\\", "/").split("/", 1)[0]
    name = SPLIT_ALIASES.get(head, head)
    if name not in SPLIT_SPECS:
        return None
    return "train" if name in TRAIN_SPLITS else "test"


class SplitInfo(BaseModel):
    """A bundled archive of one split (``../shared/data/alfworld/<archive>``), checked by sha256."""

    archive: str
    sha256: str
    subdir: str = Field(..., description="Folder of the games inside the archive.")
    n_games: int
    train_eval: str = Field(..., description="AlfredTWEnv's train_eval argument for this split.")
    config_key: str = Field(..., description="base_config.yaml dataset key that points at the games.")


_UNSEEN_134 = SplitInfo(
    archive="valid_unseen_134.tar.gz",
    sha256="6f5ba71d0c682fa52273dbeb3e342d0d9ef0b936ae45831d24a7c255b5fe11cc",
    subdir="json_2.1.1/valid_unseen",
    n_games=134,
    train_eval="eval_out_of_distribution",
    config_key="eval_ood_data_path",
)
_TRAIN_200 = SplitInfo(
    archive="valid_train_200.tar.gz",
    sha256="c3b452093f7dc75f1f9fb2a11fafcdfd86ede6e224837595e3d3f73a3989f14b",
    subdir="json_2.1.1/valid_train",
    n_games=200,
    train_eval="train",
    config_key="data_path",
)
#: The bundled archive of each split that has one (``train`` is served by the 200-game pool).
SPLITS: dict[str, SplitInfo] = {"valid_unseen": _UNSEEN_134, "unseen": _UNSEEN_134, "train": _TRAIN_200, "valid_train": _TRAIN_200}
#: Known archives by sha256: a tarball with one of these checksums is a bundled release.
KNOWN_ARCHIVES: dict[str, SplitInfo] = {i.sha256: i for i in (_UNSEEN_134, _TRAIN_200)}
BASE_CONFIG_SHA256 = "2fb5f24f344eaaf14d517605a27c248b9bb1bce445ca22f5fc4eb8a6d3156863"


def split_info(split: str) -> SplitInfo:
    """The bundled archive of ``split``; :class:`ConfigError` naming the split when it has none."""
    name = canonical_split(split)
    if name not in SPLITS:
        raise ConfigError(f"--split {split!r}: no bundled archive holds this split (bundled: valid_unseen, train/valid_train); "
                          "pass --data with a folder in ALFWorld's layout (json_2.1.1/<split>/, logic/) or a tarball of one, or set ALFWORLD_DATA")
    return SPLITS[name]


def task_type_of(path: str | os.PathLike[str]) -> str:
    """The short task type of a game path or game id (raises :class:`ConfigError` if none matches)."""
    for part in reversed(Path(path).parts):
        prefix = part.split("-", 1)[0]
        if prefix in TASK_TYPES:
            return TASK_TYPES[prefix]
    raise ConfigError(f"{path}: no ALFWorld task type in the path (expected a folder starting with one of {sorted(TASK_TYPES)})")


def game_id_of(gamefile: str | os.PathLike[str]) -> str:
    """A stable, readable id: ``<split folder>/<task folder>/<trial folder>`` of a ``game.tw-pddl`` path."""
    p = Path(gamefile)
    if p.name.endswith(".tw-pddl") or p.suffix in {".json", ".ulx", ".z8"}:
        p = p.parent
    return "/".join(p.parts[-3:])


class GameRef(BaseModel):
    """One game: its id, file and task type."""

    id: str
    gamefile: str
    task_type: str


def default_data_root() -> Path:
    """``$AGENTMEM_DATA`` or ``../shared/data`` next to the repository root."""
    root = os.environ.get("AGENTMEM_DATA")
    return Path(root) if root else Path(__file__).resolve().parents[2].parent / "shared" / "data"


def default_cache_dir() -> Path:
    from agentmem.settings import default_home

    return default_home() / "cache" / "alfworld"


def prepare_alfworld_data(split: str, data_root: str | os.PathLike[str] | None = None, cache_dir: str | os.PathLike[str] | None = None, verify: bool = True) -> Path:
    """Unpack the split's bundled tarball (sha256-checked) into ``cache_dir`` once; return the data folder.

    The folder holds ``json_2.1.1/<split folder>/...`` and ``logic/``, which is what
    ``ALFWORLD_DATA`` must point at. Other data (a folder, any tarball, ``ALFWORLD_DATA``):
    :func:`agentmem.evals.alfworld.sources.resolve_alfworld_data`.
    """
    info = split_info(split)
    root = Path(data_root) if data_root else default_data_root()
    archive = root / "alfworld" / info.archive
    if not archive.exists():
        raise ConfigError(f"{archive}: ALFWorld archive not found (pass --data DIR or set AGENTMEM_DATA to the folder holding alfworld/{info.archive})")
    target = unpack_archive(archive, cache_dir, expected_sha256=info.sha256 if verify else None, name=f"{Path(info.subdir).name}-{info.sha256[:12]}")
    if not (target / info.subdir).is_dir():
        raise ConfigError(f"{archive}: expected folder {info.subdir} inside the archive")
    return target


def unpack_archive(archive: str | os.PathLike[str], cache_dir: str | os.PathLike[str] | None = None, *, expected_sha256: str | None = None, name: str | None = None) -> Path:
    """Unpack a tarball once into ``<cache_dir>/<name>`` (default name: ``archive-<sha256[:12]>``).

    With ``expected_sha256`` the archive is checked first (a mismatch is a :class:`ConfigError`
    naming the file). Two processes unpacking at once unpack once; an interrupted unpack is redone.
    """
    archive = Path(archive)
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    digest = None
    if name is None:
        digest = sha256_file(archive)
        name = f"archive-{digest[:12]}"
    target = cache / name
    marker = target / ".complete"
    if marker.exists():
        return target
    if expected_sha256 is not None:
        digest = digest or sha256_file(archive)
        if digest != expected_sha256:
            raise ConfigError(f"{archive}: sha256 {digest[:12]}... does not match the expected {expected_sha256[:12]}... (corrupt or different release)")
    cache.mkdir(parents=True, exist_ok=True)
    from agentmem.fileio import home_lock

    with home_lock(cache / f".{name}.lock", timeout=600):  # two processes unpack once
        if marker.exists():
            return target
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=cache))
        try:
            try:
                with tarfile.open(archive, "r:*") as tar:
                    tar.extractall(tmp, filter="data")
            except (tarfile.TarError, OSError, EOFError) as exc:
                raise ConfigError(f"{archive}: cannot unpack ({exc}); expected a .tar.gz (or .tar) of ALFWorld game files") from exc
            (tmp / ".complete").write_text((expected_sha256 or digest or "") + "\n")
            if target.exists():
                shutil.rmtree(target)  # a half-written folder from an interrupted unpack
            tmp.rename(target)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return target


def base_config_path(data_root: str | os.PathLike[str] | None = None) -> Path:
    root = Path(data_root) if data_root else default_data_root()
    p = root / "alfworld" / "base_config.yaml"
    if not p.exists():
        raise ConfigError(f"{p}: ALFWorld base_config.yaml not found (pass --data DIR or set AGENTMEM_DATA)")
    return p


def split_games_dir(data_dir: str | os.PathLike[str], split: str) -> Path:
    """Where ``split``'s games sit under ``data_dir``: the bundled archive's folder when the split
    has one and it is there, else ``json_2.1.1/<official folder>``."""
    name = canonical_split(split)
    if name in SPLITS and (Path(data_dir) / SPLITS[name].subdir).is_dir():
        return Path(data_dir) / SPLITS[name].subdir
    return Path(data_dir) / "json_2.1.1" / SPLIT_SPECS[name].folder


def alfworld_config(data_dir: str | os.PathLike[str], split: str, base_config: str | os.PathLike[str] | None = None, data_root: str | os.PathLike[str] | None = None,
                    *, games_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """alfworld's base config with its dataset and logic paths pointed at ``data_dir``
    (the split's games at ``games_dir``, default :func:`split_games_dir`)."""
    import yaml

    path = Path(base_config) if base_config else base_config_path(data_root)
    try:
        cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the ALFWorld config ({exc})") from exc
    spec = SPLIT_SPECS[canonical_split(split)]
    data_dir = Path(data_dir)
    games = Path(games_dir) if games_dir else split_games_dir(data_dir, split)
    cfg.setdefault("dataset", {})
    for key in ("data_path", "eval_id_data_path", "eval_ood_data_path"):
        cfg["dataset"][key] = str(games) if key == spec.config_key else str(data_dir / "json_2.1.1" / "missing")
    cfg["dataset"]["num_train_games"] = -1
    cfg["dataset"]["num_eval_games"] = -1
    cfg.setdefault("logic", {})
    cfg["logic"]["domain"] = str(data_dir / "logic" / "alfred.pddl")
    cfg["logic"]["grammar"] = str(data_dir / "logic" / "alfred.twl2")
    return cfg


def list_games(data_dir: str | os.PathLike[str], split: str, *, games_dir: str | os.PathLike[str] | None = None) -> list[GameRef]:
    """The split's games found on disk (``game.tw-pddl`` beside ``traj_data.json``), sorted by id.

    This is the same set alfworld's ``AlfredTWEnv`` collects for these archives (every game
    in them is marked solvable); :func:`agentmem.evals.alfworld.env.collect_games` asks
    alfworld itself when it is installed.
    """
    base = Path(games_dir) if games_dir else split_games_dir(data_dir, split)
    refs = [GameRef(id=game_id_of(p), gamefile=str(p), task_type=task_type_of(p)) for p in base.glob("*/*/game.tw-pddl") if (p.parent / "traj_data.json").exists()]
    return sorted(refs, key=lambda g: g.id)


class GameResult(BaseModel):
    """How one game went."""

    game_id: str
    task_type: str
    won: bool
    steps: int = Field(default=0, description="Environment actions taken.")
    error: str | None = None


class TypeScore(BaseModel):
    task_type: str
    n: int
    won: int
    success_rate: float
    mean_steps_won: float | None = None


class AlfworldSummary(BaseModel):
    """Success per task type and overall (errors count as failures and are listed)."""

    n: int
    won: int
    success_rate: float
    by_type: list[TypeScore]
    errors: list[str] = Field(default_factory=list)


def summarise_games(results: Iterable[GameResult]) -> AlfworldSummary:
    """Success rate overall and per task type, in the canonical task-type order."""
    res = list(results)
    by_type = []
    for tt in TASK_TYPE_ORDER + sorted({r.task_type for r in res} - set(TASK_TYPE_ORDER)):
        rs = [r for r in res if r.task_type == tt]
        if not rs:
            continue
        won = [r for r in rs if r.won]
        by_type.append(TypeScore(task_type=tt, n=len(rs), won=len(won), success_rate=len(won) / len(rs), mean_steps_won=(sum(r.steps for r in won) / len(won)) if won else None))
    n_won = sum(r.won for r in res)
    return AlfworldSummary(n=len(res), won=n_won, success_rate=n_won / len(res) if res else 0.0, by_type=by_type, errors=[f"{r.game_id}: {r.error}" for r in res if r.error])


def summary_markdown(summary: AlfworldSummary, title: str = "ALFWorld") -> str:
    lines = [f"# {title}", "", "| task type | games | won | success | mean steps (won) |", "|---|---|---|---|---|"]
    for t in summary.by_type:
        steps = "-" if t.mean_steps_won is None else f"{t.mean_steps_won:.1f}"
        lines.append(f"| {t.task_type} | {t.n} | {t.won} | {100 * t.success_rate:.1f}% | {steps} |")
    lines.append(f"| **all** | {summary.n} | {summary.won} | **{100 * summary.success_rate:.1f}%** | |")
    if summary.errors:
        lines += ["", f"Errors ({len(summary.errors)}):"] + [f"- {e}" for e in summary.errors[:20]]
    return "\n".join(lines) + "\n"
