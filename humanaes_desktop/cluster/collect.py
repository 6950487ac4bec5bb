"""Finding the photos a manifest lists: from the library, or from a folder on disk.

From the library: every present, scorable photo without an assessment by the model + profile
(its fingerprint is the one the library stored). From a folder: every image file below it,
fingerprinted now with the library's function, minus those whose content the library (when
there is one) already has an assessment for. Either way one entry per content: copies of one
photo are scored once, and the import gives the result to every copy.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from humanaes_desktop.cluster.manifest import ManifestEntry, PathMap, map_path
from humanaes_desktop.engine.images.loading import is_supported_path
from humanaes_desktop.library import Library
from humanaes_desktop.library.files import fingerprint, walk_folder

log = logging.getLogger(__name__)


@dataclass
class CollectCounts:
    """What collecting saw besides the entries it produced."""

    duplicates: int = 0  # further copies of a content already listed
    unreadable: int = 0  # files whose content could not be read (no fingerprint)
    already_scored: int = 0  # folder mode: content the library already has scores for


def _entry(path: str, size: int, print_: str, maps: Iterable[PathMap]) -> ManifestEntry:
    return ManifestEntry(map_path(path, maps), path, size, print_)


def from_library(
    library: Library,
    model_key: str,
    profile_key: str,
    maps: tuple[PathMap, ...],
    counts: CollectCounts,
) -> Iterator[ManifestEntry]:
    """The library's photos lacking an assessment by this model + profile."""
    seen: set[str] = set()
    for image in library.unscored_images(model_key, profile_key):
        if image.fingerprint in seen:
            counts.duplicates += 1
            continue
        seen.add(image.fingerprint)
        yield _entry(image.path, image.size, image.fingerprint, maps)
    counts.unreadable += library.count_without_fingerprint()


def from_folder(
    folder: str,
    assessed: set[str],
    maps: tuple[PathMap, ...],
    counts: CollectCounts,
) -> Iterator[ManifestEntry]:
    """Image files below `folder` whose content is not in `assessed` (fingerprints)."""
    seen: set[str] = set()
    for found in sorted(walk_folder(folder), key=lambda f: f.abs_path):
        if not is_supported_path(found.abs_path):
            continue
        try:
            print_ = fingerprint(found.abs_path, found.size)
        except OSError as exc:
            log.warning("cannot read %s: %s", found.abs_path, exc)
            counts.unreadable += 1
            continue
        if print_ in assessed:
            counts.already_scored += 1
        elif print_ in seen:
            counts.duplicates += 1
        else:
            seen.add(print_)
            yield _entry(found.abs_path, found.size, print_, maps)
