"""Verify a model folder against a SHA-256 manifest BEFORE any of its Python code is imported.

A model folder carries its own Python code (`trust_remote_code`), so loading an unverified folder
runs unverified code. Three kinds of folders load:
- official: the shipped manifest of KlingTeam/HumanAesExpert-1B at a pinned revision matches.
  Small files are hashed on every load; the 1.9 GB weights fully once, then only their stat stamp
  is compared (model_store).
- synthetic: config.json carries the `humanaes_synthetic` marker; its *.py files must equal this
  package's own synthetic templates and every other file must match the folder's own
  humanaes-manifest.sha256 (weights: the same stamp shortcut).
- trusted: any other folder (8B, fine-tunes), only when the user explicitly trusts it. All its
  hashes are recorded then, and a later change is refused.
This module must not import torch: the download code (used by the GUI) relies on it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from humanaes_desktop.engine.assessment import ModelIdentity
from humanaes_desktop.engine.store import known_folders
from humanaes_desktop.errors import UserError

log = logging.getLogger(__name__)

SYNTHETIC_MARKER = "humanaes_synthetic"
FOLDER_MANIFEST = "humanaes-manifest.sha256"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")
# Files that are harmless documentation when a folder holds more than its manifest lists.
INERT_EXTRA_SUFFIXES = (".md", ".png", ".jpg", ".jpeg", ".gif", ".svg")
INERT_EXTRA_NAMES = ("LICENSE", "LICENSE.txt", "NOTICE")
# Never accepted from a synthetic folder's own manifest: these can run code when loaded.
CODE_SUFFIXES = (".py", ".pyc", ".so", ".dylib", ".dll", ".bin", ".pt", ".pth", ".pkl", ".pickle")
_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class OfficialModel:
    """A released model whose manifest ships with this package."""

    variant: str
    repo: str
    revision: str
    manifest_resource: str  # file name under humanaes_desktop/manifests/
    weights_file: str = "model.safetensors"

    @property
    def folder_name(self) -> str:
        """Default install folder name in the user data dir."""
        return f"{self.repo.split('/')[-1]}@{self.revision[:12]}"


OFFICIAL_MODELS: dict[str, OfficialModel] = {
    "1b": OfficialModel(
        variant="1b",
        repo="KlingTeam/HumanAesExpert-1B",
        revision="b8f7ee3f3a1217ecd331fd6d57b6959f5c0da183",
        manifest_resource="humanaes-expert-1b.sha256",
    ),
}


class ModelNotFoundError(UserError):
    """The model folder or some of its files do not exist."""


class ModelVerificationError(UserError):
    """A file of the model folder does not match its manifest; nothing of it was imported."""

    def __init__(self, message: str, file_name: str | None = None) -> None:
        super().__init__(message)
        self.file_name = file_name


class UnverifiedModelError(UserError):
    """The folder matches no known manifest and the user has not trusted it."""


class ModelFolderChangedError(ModelVerificationError):
    """A folder the user trusted earlier has changed since."""


@dataclass(frozen=True)
class VerifiedFolder:
    """A model folder that passed verification, and what it is."""

    path: Path
    kind: str  # "official", "synthetic" or "trusted"
    manifest: str  # which manifest matched, for logs and `humanaes model list`
    identity: ModelIdentity
    hashed: tuple[str, ...]  # files hashed in this verification
    weights_from_record: tuple[str, ...]  # weights accepted by their unchanged stat stamp


def sha256_file(path: Path) -> str:
    """SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def parse_manifest(text: str) -> dict[str, str]:
    """Parse `sha256sum` output ("<hex>  <name>" or "<hex> *<name>"); '#' lines are comments."""
    entries: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or len(parts[0]) != 64:
            raise ValueError(f"manifest line {number} is not '<sha256>  <file>': {raw!r}")
        digest, name = parts[0].lower(), parts[1].lstrip("*")
        int(digest, 16)  # ValueError for non-hex
        if name in entries:
            raise ValueError(f"manifest lists {name!r} twice")
        entries[name] = digest
    return entries


def format_manifest(hashes: dict[str, str]) -> str:
    """The `sha256sum -c` compatible text for a {file name: sha256} mapping, sorted by name."""
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(hashes.items()))


def read_manifest(path: Path) -> dict[str, str]:
    """Parse a manifest file."""
    return parse_manifest(Path(path).read_text(encoding="utf-8"))


def write_manifest(path: Path, hashes: dict[str, str]) -> None:
    """Write a manifest file."""
    Path(path).write_text(format_manifest(hashes), encoding="utf-8")


def official_manifest(variant: str = "1b") -> dict[str, str]:
    """The shipped manifest of an official model variant."""
    model = official_model(variant)
    text = resources.files("humanaes_desktop") / "manifests" / model.manifest_resource
    return parse_manifest(text.read_text(encoding="utf-8"))


def official_model(variant: str) -> OfficialModel:
    """Look up an official variant; a clear error for an unknown one."""
    try:
        return OFFICIAL_MODELS[variant]
    except KeyError:
        known = ", ".join(sorted(OFFICIAL_MODELS))
        raise UserError(f"unknown model variant {variant!r}; known: {known}") from None


def is_weights_file(name: str) -> bool:
    return name.endswith(WEIGHT_SUFFIXES)


def weights_digest(hashes: dict[str, str]) -> str:
    """One hash naming a model's weights: the file's own hash, or a hash over several files."""
    weights = {n: h for n, h in hashes.items() if is_weights_file(n)} or hashes
    if len(weights) == 1:
        return next(iter(weights.values()))
    return hashlib.sha256(format_manifest(weights).encode()).hexdigest()


def folder_files(folder: Path) -> list[str]:
    """Relative (posix) names of every non-hidden file under the folder, sorted."""
    names = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        names.append(rel.as_posix())
    return sorted(names)


def verify_model_folder(
    folder: Path | str, *, trust_unknown: bool = False, full: bool = False
) -> VerifiedFolder:
    """Check a model folder before any of its code runs; raise a UserError subclass if refused.

    `trust_unknown` accepts (and records) a folder no manifest knows. `full` re-hashes the
    weights even when their stat stamp is unchanged (what `humanaes model verify` does).
    """
    path = Path(folder).expanduser()
    config = _read_config(path)
    present = folder_files(path)
    if isinstance(config.get(SYNTHETIC_MARKER), dict):
        return _verify_synthetic(path, config[SYNTHETIC_MARKER], present, full)
    if known_folders.trusted_hashes(path) is not None:
        return _verify_trusted(path, present, full)
    for model in OFFICIAL_MODELS.values():
        expected = official_manifest(model.variant)
        if set(expected) <= set(present):
            try:
                return _verify_official(path, model, expected, present, full)
            except ModelVerificationError:
                if not trust_unknown:
                    raise
                log.warning("%s differs from %s; loading it as a trusted folder", path, model.repo)
    if not trust_unknown:
        raise UnverifiedModelError(
            f"{path} is not a model this app can verify (not the official HumanAesExpert-1B "
            "files and not a synthetic model); if you trust its code and weights, pass "
            "--trust-model-folder (its files are then recorded and any later change is refused)"
        )
    return _trust_new_folder(path, present)


def _read_config(path: Path) -> dict:
    hint = "download the model with `humanaes model download` or pass the folder that holds it"
    if not path.is_dir():
        raise ModelNotFoundError(f"model folder {path} does not exist; {hint}")
    config_path = path / "config.json"
    if not config_path.is_file():
        raise ModelNotFoundError(f"{path} is not a model folder (it has no config.json); {hint}")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelVerificationError(f"{config_path} is unreadable: {exc}", "config.json") from exc
    if not isinstance(config, dict):
        raise ModelVerificationError(f"{config_path} is not a JSON object", "config.json")
    return config


def _require_files(path: Path, expected: set[str], present: list[str], what: str) -> None:
    missing = sorted(expected - set(present))
    if missing:
        raise ModelNotFoundError(
            f"{path} lacks {len(missing)} file(s) of {what}: {', '.join(missing[:5])}; "
            "download it again with `humanaes model download` or copy the missing files"
        )


def _refuse_extras(path: Path, allowed: set[str], present: list[str], what: str) -> None:
    for name in present:
        if name in allowed or name.endswith(INERT_EXTRA_SUFFIXES) or name in INERT_EXTRA_NAMES:
            continue
        raise ModelVerificationError(
            f"{path} holds {name!r}, which is not part of {what}; remove it (nothing was loaded)",
            name,
        )


def _check_hashes(
    path: Path,
    expected: dict[str, str],
    full: bool,
    what: str,
    remedy: str = "download the model again",
) -> tuple[list[str], list[str]]:
    """Hash every file (weights: unless their stamp is unchanged); returns (hashed, shortcut)."""
    hashed, shortcut = [], []
    # Cheap files first, config.json before all: a wrong folder is named by its config at once.
    order = sorted(expected, key=lambda n: (is_weights_file(n), n != "config.json", n))
    for name in order:
        digest = expected[name]
        if is_weights_file(name) and not full:
            if known_folders.known_weights_hash(path, name) == digest:
                shortcut.append(name)
                continue
        actual = sha256_file(path / name)
        hashed.append(name)
        if actual != digest:
            raise ModelVerificationError(
                f"{path / name} does not match {what} (SHA-256 {actual[:12]}…, expected "
                f"{digest[:12]}…); the file is damaged or was changed, so nothing was loaded; "
                + remedy,
                name,
            )
        if is_weights_file(name):
            known_folders.remember_weights_hash(path, name, digest)
    return hashed, shortcut


def _verify_official(
    path: Path, model: OfficialModel, expected: dict[str, str], present: list[str], full: bool
) -> VerifiedFolder:
    what = f"the manifest of {model.repo}@{model.revision[:12]}"
    _refuse_extras(path, set(expected), present, what)
    hashed, shortcut = _check_hashes(path, expected, full, what)
    identity = ModelIdentity(model.repo, model.revision, expected[model.weights_file], False)
    return VerifiedFolder(
        path.resolve(),
        "official",
        model.manifest_resource,
        identity,
        tuple(hashed),
        tuple(shortcut),
    )


def _verify_synthetic(path: Path, marker: dict, present: list[str], full: bool) -> VerifiedFolder:
    from humanaes_desktop.engine.synthetic import (
        template_hashes,  # the package's own model-code templates
    )

    templates = template_hashes()
    _require_files(path, {FOLDER_MANIFEST, *templates}, present, "a synthetic model")
    try:
        own = read_manifest(path / FOLDER_MANIFEST)
    except ValueError as exc:
        raise ModelVerificationError(f"{path / FOLDER_MANIFEST}: {exc}", FOLDER_MANIFEST) from exc
    risky = [n for n in own if n.endswith(CODE_SUFFIXES) and n not in templates]
    if risky:
        raise ModelVerificationError(
            f"synthetic model {path} lists code or pickle files in its manifest: {risky[0]!r}",
            risky[0],
        )
    _require_files(path, set(own), present, "its manifest")
    _refuse_extras(path, {FOLDER_MANIFEST, *templates, *own}, present, "a synthetic model")
    rebuild = "rebuild it with `humanaes model synth` (synthetic folders match this app's version)"
    code_hashed, _ = _check_hashes(
        path, templates, True, "this app's synthetic model code", rebuild
    )
    hashed, shortcut = _check_hashes(path, own, full, f"its {FOLDER_MANIFEST}", rebuild)
    preset = str(marker.get("preset", "custom"))
    seed = marker.get("seed")
    identity = ModelIdentity(
        repo=f"synthetic/{preset}",
        revision=f"seed-{seed}" if seed is not None else "local",
        weights_sha256=weights_digest(own),
        synthetic=True,
    )
    return VerifiedFolder(
        path.resolve(),
        "synthetic",
        f"synthetic templates + {FOLDER_MANIFEST}",
        identity,
        tuple(code_hashed + hashed),
        tuple(shortcut),
    )


def _trusted_identity(path: Path, hashes: dict[str, str]) -> ModelIdentity:
    return ModelIdentity(f"local/{path.resolve().name}", "local", weights_digest(hashes), False)


def _verify_trusted(path: Path, present: list[str], full: bool) -> VerifiedFolder:
    recorded = known_folders.trusted_hashes(path) or {}
    changed = sorted(set(recorded) ^ set(present))
    try:
        if changed:
            raise ModelVerificationError(f"file set changed: {changed[0]!r}", changed[0])
        hashed, shortcut = _check_hashes(path, recorded, full, "the hashes recorded when trusted")
    except ModelVerificationError as exc:
        raise ModelFolderChangedError(
            f"{path} changed since you trusted it ({exc.file_name} differs), so it was not "
            "loaded; if you made this change, run `humanaes model forget "
            f"{path}` and trust it again",
            exc.file_name,
        ) from exc
    identity = _trusted_identity(path, recorded)
    return VerifiedFolder(
        path.resolve(), "trusted", "trusted-folder record", identity, tuple(hashed), tuple(shortcut)
    )


def _trust_new_folder(path: Path, present: list[str]) -> VerifiedFolder:
    hashes = {name: sha256_file(path / name) for name in present}
    known_folders.trust_folder(path, hashes)
    for name, digest in hashes.items():
        if is_weights_file(name):
            known_folders.remember_weights_hash(path, name, digest)
    log.warning("trusting model folder %s (no known manifest); its hashes are recorded", path)
    return VerifiedFolder(
        path.resolve(),
        "trusted",
        "trusted-folder record",
        _trusted_identity(path, hashes),
        tuple(sorted(hashes)),
        (),
    )
