"""Where a run's ALFWorld games come from: :func:`resolve_alfworld_data`.

The user names the data in one of these ways (first match wins):

1. ``--data PATH`` (the ``data`` argument):
   * a **tarball**: if its sha256 is one of the bundled releases (:data:`~.data.KNOWN_ARCHIVES`)
     it must hold the split asked for; a file *named* like a bundled release whose checksum
     differs is refused; any other tarball is unpacked (once, into the cache) and read like a
     folder, its data hash being the archive's sha256;
   * a **folder in ALFWorld's layout**: ``json_2.1.1/<split>/<task>/<trial>/game.tw-pddl`` (with
     ``traj_data.json`` beside it) and ``logic/`` (``alfred.pddl``, ``alfred.twl2``): accepted
     with its game count and a content hash (:func:`~agentmem.evals.provenance.hash_files`
     over the split's game files and the logic files);
   * a **data root** holding ``alfworld/<bundled archive>`` (what ``--data`` meant before):
     the bundled archive, checked against its checksum.
2. ``ALFWORLD_DATA`` (alfworld's own variable): a folder in ALFWorld's layout. When ``--data``
   is given too, ``--data`` wins and the run's data notes say that ``ALFWORLD_DATA`` was not
   used (and a warning is logged): never silently ignored.
3. The bundled archive of the split under ``data_root`` / ``$AGENTMEM_DATA`` / ``../shared/data``.

A path or split that cannot be used is a :class:`~agentmem.errors.ConfigError` naming it (and,
for a folder, which split folders it does hold); nothing falls back to other data.

Example::

    src = resolve_alfworld_data("valid_seen", "/data/alfworld")     # a folder in the official layout
    src.info.n_items, src.info.sha256[:12], src.games_dir
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel

from agentmem.errors import ConfigError
from agentmem.evals.alfworld.data import (
    KNOWN_ARCHIVES,
    SPLIT_SPECS,
    SPLITS,
    canonical_split,
    default_data_root,
    prepare_alfworld_data,
    split_info,
    unpack_archive,
)
from agentmem.evals.provenance import DataInfo, hash_files
from agentmem.fileio import sha256_file

log = logging.getLogger(__name__)

ENV_VAR = "ALFWORLD_DATA"
LOGIC_FILES = ("alfred.pddl", "alfred.twl2")
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")


class AlfworldData(BaseModel):
    """The resolved data of one run: the folder to use as ``ALFWORLD_DATA``, the split's games
    folder inside it, and the :class:`DataInfo` recorded in the run's config."""

    split: str
    data_dir: Path
    games_dir: Path
    info: DataInfo


def game_files(games_dir: Path) -> list[Path]:
    """``game.tw-pddl`` files that have ``traj_data.json`` beside them, at ``<task>/<trial>/``."""
    return sorted(p for p in games_dir.glob("*/*/game.tw-pddl") if (p.parent / "traj_data.json").is_file())


def _split_folders(data_dir: Path) -> list[str]:
    return sorted(f"{p.parent.name}/{p.name}" for p in data_dir.glob("json_*/*") if p.is_dir())


def _layout_games_dir(data_dir: Path, split: str, what: str) -> Path:
    """``data_dir/json_*/<split folder>`` or a ConfigError naming ``what`` and what the folder holds."""
    folder = SPLIT_SPECS[split].folder
    versions = sorted(p for p in data_dir.glob("json_*") if p.is_dir())
    if not versions:
        hint = ""
        if data_dir.name.startswith("json_") or data_dir.name in {s.folder for s in SPLIT_SPECS.values()}:
            hint = f"; point it at the folder that holds {data_dir.name if data_dir.name.startswith('json_') else 'json_2.1.1'}/ and logic/"
        raise ConfigError(f"{what}: not an ALFWorld data folder (expected json_2.1.1/<split>/<task>/<trial>/game.tw-pddl and logic/ "
                          f"as in ALFWorld's release, a tarball of that, or a data root holding alfworld/<bundled archive>){hint}")
    holding = [v / folder for v in versions if (v / folder).is_dir()]
    if not holding:
        present = _split_folders(data_dir)
        hint = ""
        if split == "train" and any(p.endswith("/valid_train") for p in present):
            hint = " (this folder's training-distribution games are in valid_train: use --split valid_train)"
        raise ConfigError(f"{what}: no games for --split {split} (expected folder {versions[0].name}/{folder}; found: {', '.join(present) or 'none'}){hint}")
    if len(holding) > 1:
        raise ConfigError(f"{what}: several releases hold --split {split} ({', '.join(str(h.relative_to(data_dir)) for h in holding)}); point --data at a folder with one")
    return holding[0]


def _folder_data(data_dir: Path, split: str, *, what: str, via: str, source_kind: str = "folder", archive_sha: str | None = None,
                 source: str | None = None, notes: list[str] | None = None) -> AlfworldData:
    games_dir = _layout_games_dir(data_dir, split, what)
    files = game_files(games_dir)
    if not files:
        raise ConfigError(f"{what}: no games in {games_dir} (each game is <task>/<trial>/game.tw-pddl with traj_data.json beside it)")
    notes = list(notes or [])
    logic = [data_dir / "logic" / f for f in LOGIC_FILES if (data_dir / "logic" / f).is_file()]
    if len(logic) < len(LOGIC_FILES):
        notes.append(f"{what}: logic/{' and logic/'.join(LOGIC_FILES)} incomplete (alfworld's own environment classes need them; agentmem's player does not)")
    if archive_sha is not None:
        sha, hash_of = archive_sha, "archive file"
    else:
        sha = hash_files(data_dir, [f for g in files for f in (g, g.parent / "traj_data.json")] + logic)
        hash_of = "game files of the split (game.tw-pddl, traj_data.json) and logic/ (paths and contents)"
    info = DataInfo(dataset="alfworld", split=split, source=source or str(data_dir), source_kind=source_kind, via=via, sha256=sha, hash_of=hash_of,  # pyright: ignore[reportArgumentType]  # a SourceKind, set above
                    known=False, n_items=len(files), notes=notes, label=f"data-{sha[:8]}")
    return AlfworldData(split=split, data_dir=data_dir, games_dir=games_dir, info=info)


def _bundled(split: str, data_root: Path, cache_dir: str | os.PathLike[str] | None, *, via: str, what: str, notes: list[str]) -> AlfworldData:
    info = split_info(split)  # ConfigError naming the split when it has no bundled archive
    archive = data_root / "alfworld" / info.archive
    if not archive.exists():
        raise ConfigError(f"{archive}: ALFWorld archive for --split {split} not found ({what}; pass --data DIR|TARBALL, set ALFWORLD_DATA, "
                          f"or set AGENTMEM_DATA to the folder holding alfworld/{info.archive})")
    data_dir = prepare_alfworld_data(split, data_root, cache_dir)
    return _known(data_dir, info.sha256, split, archive, via=via, notes=notes)


def _known(data_dir: Path, sha: str, split: str, archive: Path, *, via: str, notes: list[str]) -> AlfworldData:
    info = KNOWN_ARCHIVES[sha]
    games_dir = data_dir / info.subdir
    files = game_files(games_dir)
    if len(files) != info.n_games:
        raise ConfigError(f"{data_dir}: {len(files)} games unpacked from {archive.name}, expected {info.n_games} (delete this cache folder to unpack again)")
    if SPLIT_SPECS[split].folder != Path(info.subdir).name:
        notes = notes + [f"--split {split}: the bundled {info.archive} holds {info.subdir} ({info.n_games} games)"]
    meta = DataInfo(dataset="alfworld", split=split, source=str(archive), source_kind="archive", via=via, sha256=sha, hash_of="archive file",
                    known=True, n_items=len(files), notes=notes, label="")
    return AlfworldData(split=split, data_dir=data_dir, games_dir=games_dir, info=meta)


def _archive(path: Path, split: str, cache_dir: str | os.PathLike[str] | None, *, via: str, notes: list[str]) -> AlfworldData:
    sha = sha256_file(path)
    known = KNOWN_ARCHIVES.get(sha)
    if known is not None:
        served = sorted({canonical_split(s) for s, i in SPLITS.items() if i.sha256 == sha})
        if split not in served:
            raise ConfigError(f"{via} {path}: this is the bundled {known.archive} ({known.subdir}, {known.n_games} games), not games of --split {split} "
                              f"(it serves --split {' or '.join(served)})")
        data_dir = unpack_archive(path, cache_dir, expected_sha256=sha, name=f"{Path(known.subdir).name}-{sha[:12]}")
        return _known(data_dir, sha, split, path, via=via, notes=notes)
    for info in KNOWN_ARCHIVES.values():
        if path.name == info.archive:
            raise ConfigError(f"{via} {path}: sha256 {sha[:12]}... does not match the bundled {info.archive} ({info.sha256[:12]}...): corrupt or a different release")
    data_dir = unpack_archive(path, cache_dir, name=f"archive-{sha[:12]}")
    inner = [p for p in data_dir.iterdir() if p.is_dir()]
    if not any(data_dir.glob("json_*")) and len(inner) == 1 and any(inner[0].glob("json_*")):
        data_dir = inner[0]  # the tarball wraps the layout in one top folder
    return _folder_data(data_dir, split, what=f"{via} {path}", via=via, source_kind="archive", archive_sha=sha, source=str(path), notes=notes)


def _from_path(path: Path, split: str, cache_dir: str | os.PathLike[str] | None, *, via: str, notes: list[str]) -> AlfworldData:
    what = f"{via} {path}"
    if not path.exists():
        raise ConfigError(f"{what}: no such file or folder")
    if path.is_file():
        if not path.name.endswith(_ARCHIVE_SUFFIXES):
            raise ConfigError(f"{what}: not a folder or a tarball (expected a folder in ALFWorld's layout or a .tar.gz of one)")
        return _archive(path, split, cache_dir, via=via, notes=notes)
    if not any(path.glob("json_*")) and (path / "alfworld").is_dir():
        return _bundled(split, path, cache_dir, via=via, what=what, notes=notes)  # a data root, as --data meant before
    return _folder_data(path, split, what=what, via=via, notes=notes)


def resolve_alfworld_data(split: str, data: str | os.PathLike[str] | None = None, *, data_root: str | os.PathLike[str] | None = None,
                          cache_dir: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> AlfworldData:
    """The data for ``split`` (official name or alias): ``data`` (``--data``), else ``data_root``
    (a folder holding ``alfworld/<bundled archive>``), else ``$ALFWORLD_DATA``, else the bundled archive
    under ``$AGENTMEM_DATA`` or ``../shared/data``. See the module docstring."""
    env = os.environ if environ is None else environ
    name = canonical_split(split)
    notes: list[str] = []
    if name != split:
        notes.append(f"--split {split} is an alias of {name}")
    alf_env = env.get(ENV_VAR) or None
    if data is not None:
        if alf_env:
            msg = f"{ENV_VAR}={alf_env} was not used: --data {data} given"
            log.warning(msg)
            notes.append(msg)
        return _from_path(Path(data).expanduser(), name, cache_dir, via="--data", notes=notes)
    if data_root is not None:
        if alf_env:
            msg = f"{ENV_VAR}={alf_env} was not used: data_root {data_root} given"
            log.warning(msg)
            notes.append(msg)
        return _bundled(name, Path(data_root), cache_dir, via="data_root", what=f"data_root {data_root}", notes=notes)
    if alf_env:
        path = Path(alf_env).expanduser()
        if not path.is_dir():
            raise ConfigError(f"{ENV_VAR}={alf_env}: no such folder (unset it, or point it at a folder in ALFWorld's layout)")
        return _folder_data(path, name, what=f"{ENV_VAR}={alf_env}", via=ENV_VAR, notes=notes)
    root = Path(env["AGENTMEM_DATA"]) if env.get("AGENTMEM_DATA") else default_data_root()
    via = "AGENTMEM_DATA" if env.get("AGENTMEM_DATA") else "default"
    return _bundled(name, root, cache_dir, via=via, what=f"{via} data root {root}", notes=notes)
