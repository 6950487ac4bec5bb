"""Predictions for every labelled photo, resumable through a library file.

The photos are registered in a library (the one given with --db, or the evaluation's own), so an
assessment the same model + profile already made — by this command earlier, or by the app — is
used as is instead of being computed again. The model is loaded only when something is left to
score. A photo that cannot be scored becomes a prediction with an error, never a crash.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from humanaes_desktop.engine.assessment import Assessment, ModelIdentity, PreprocessProfile
from humanaes_desktop.errors import UserError, error_code
from humanaes_desktop.evaluation.labels import LabelledImage
from humanaes_desktop.library import Library
from humanaes_desktop.library.records import ImageStatus

log = logging.getLogger(__name__)


class Engine(Protocol):
    identity: ModelIdentity

    def assess(self, pixels: Any, *, profile: PreprocessProfile) -> Assessment: ...


@dataclass(frozen=True)
class Prediction:
    """What the model said of one labelled photo, or why it could not say anything."""

    sample: LabelledImage
    assessment: Assessment | None = None
    error: str | None = None
    reason: str | None = None
    reused: bool = False  # taken from the library instead of computed now


class ProgressSink(Protocol):
    def started(self, path: Path) -> None: ...

    def finished(self) -> None: ...


def register_images(library: Library, images_root: Path) -> None:
    """Make the library know the photos under the images root (rescanning what it knows)."""
    root = images_root.resolve()
    for folder in library.folders(with_counts=False):
        if root == Path(folder.path) or Path(folder.path) in root.parents:
            library.scan_folder(folder.id)
            return
    library.scan_folder(library.add_folder(root).id)


def predict_all(
    samples: list[LabelledImage],
    *,
    library: Library,
    identity: ModelIdentity,
    profile: PreprocessProfile,
    load_engine: Callable[[], Engine],
    progress: ProgressSink,
) -> list[Prediction]:
    """One prediction per sample, in the samples' order."""
    ids = library.image_ids_at([s.path for s in samples])
    refused = _refused_by_library(library, list(ids.values()))
    engine: Engine | None = None
    predictions = []
    for sample in samples:
        progress.started(sample.path)
        image_id = ids.get(str(sample.path))
        stored = None
        if image_id is not None:
            stored = library.stored_assessment(image_id, identity.key, profile.key)
        if stored is not None:
            predictions.append(Prediction(sample, stored, reused=True))
        elif image_id in refused:
            code, reason = refused[image_id]
            predictions.append(Prediction(sample, error=code, reason=reason))
        elif not sample.path.is_file():
            predictions.append(
                Prediction(sample, error="not_found", reason=f"{sample.path} does not exist")
            )
        else:
            if engine is None:
                engine = load_engine()
            predictions.append(_score(engine, sample, profile, library, image_id))
        progress.finished()
    return predictions


def _refused_by_library(library: Library, image_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Photos the library's scan already found it cannot read (corrupt, unsupported), so the
    model is not loaded just to fail on them again; a changed file is probed again by the scan."""
    refused = {}
    for start in range(0, len(image_ids), 5000):
        for row in library.rows(image_ids[start : start + 5000]):
            if row.status in (ImageStatus.FAILED, ImageStatus.UNSUPPORTED):
                refused[row.id] = (row.status.value, row.failure_reason or row.status.value)
    return refused


def _score(
    engine: Engine,
    sample: LabelledImage,
    profile: PreprocessProfile,
    library: Library,
    image_id: int | None,
) -> Prediction:
    from humanaes_desktop.engine.images.loading import load_pixels

    try:
        assessment = engine.assess(load_pixels(sample.path, profile), profile=profile)
    except UserError as exc:
        if image_id is not None and getattr(exc, "permanent", False):
            library.record_failure(image_id, str(exc))  # a later run need not load the model
        return Prediction(sample, error=error_code(exc), reason=str(exc))
    except (RuntimeError, ValueError, MemoryError, OSError) as exc:
        # Not the user's fault, but one photo must not stop an evaluation of thousands.
        log.debug("scoring %s failed", sample.path, exc_info=True)
        return Prediction(sample, error="scoring_failed", reason=f"{type(exc).__name__}: {exc}")
    if image_id is not None:
        library.record_assessment(image_id, assessment)
    return Prediction(sample, assessment)
