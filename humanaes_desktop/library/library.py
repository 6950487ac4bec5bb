"""`Library`: the one object the rest of the application holds. A thin facade; the work is done
in the modules it delegates to (folders, scan, changes, jobs, queries, ratings, export).

Thread-safe: every method opens its own short session; writes are serialised inside `Database`.
The GUI thread may call the read methods while the worker and the watcher write.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
from sqlalchemy.exc import DatabaseError, OperationalError

from humanaes_desktop.engine.assessment import Assessment
from humanaes_desktop.errors import UserError
from humanaes_desktop.library import (
    changes,
    folders,
    groups,
    job_requests,
    jobs,
    queries,
    ratings,
    recorded,
    result_import,
    scan,
    score_export,
    signals_store,
    stats,
    taste_store,
    unscored,
)
from humanaes_desktop.library.arrays.gallery_arrays import GalleryArrays
from humanaes_desktop.library.db import Database
from humanaes_desktop.library.migrations import ensure_schema
from humanaes_desktop.library.records import (
    Flag,
    FolderRecord,
    GalleryIds,
    GalleryQuery,
    ImageDetail,
    ImageRow,
    ImageStatus,
    Job,
    ProfileMix,
    QueueCounts,
    ScanReport,
)
from humanaes_desktop.library.xmp.imports import image_ids_by_path
from humanaes_desktop.library.xmp.service import SidecarSync
from humanaes_desktop.paths import data_dir

DEFAULT_DB_NAME = "library.sqlite3"


class LibraryOpenError(UserError):
    """The library file cannot be opened (not SQLite, damaged, unreadable)."""


def default_db_path() -> Path:
    """The library file in the user data directory (HUMANAES_DATA_DIR overrides)."""
    return data_dir() / DEFAULT_DB_NAME


def _open_failure(path: Path, exc: DatabaseError) -> str:
    if isinstance(exc, OperationalError) and "unable to open" in str(exc.orig):
        return f"The library {path} cannot be opened or created; check that its folder is writable."
    return f"{path} is not a HumanAes library or is damaged ({exc.orig}); choose another with --db."


class Library:
    """A photo library stored in one SQLite file."""

    def __init__(self, db: Database) -> None:
        self._db = db
        # XMP sidecars: ratings written behind (start_writer), other tools' changes read back
        # at every scan and watcher batch.
        self.sidecars = SidecarSync(db)
        self._arrays = GalleryArrays(db)  # loaded on request (the GUI): see load_gallery_arrays

    @classmethod
    def open(cls, db_path: str | os.PathLike | None = None) -> Library:
        """Open (creating or migrating) the library at `db_path`, default in the user data dir."""
        path = Path(db_path).expanduser().resolve() if db_path else default_db_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LibraryOpenError(
                f"The library {path} cannot be created: {exc.strerror or exc}."
            ) from exc
        db = Database(path)
        try:
            ensure_schema(db.write_engine, path)
        except DatabaseError as exc:
            db.close()
            raise LibraryOpenError(_open_failure(path, exc)) from exc
        except BaseException:
            db.close()
            raise
        return cls(db)

    @property
    def path(self) -> Path:
        """The library database file."""
        return self._db.path

    def close(self) -> None:
        """Write owed sidecars, checkpoint the WAL and release the database (once, at shutdown)."""
        self.sidecars.stop_writer()
        self._db.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # folders
    def add_folder(self, path: str | os.PathLike) -> FolderRecord:
        """Watch a folder (UserError if unreadable or overlapping a watched one). Not scanned yet."""
        return folders.add_folder(self._db, path)

    def remove_folder(self, folder_id: int, purge: bool = False) -> None:
        """Stop watching; without purge its ratings and scores are kept for a later re-add."""
        folders.remove_folder(self._db, folder_id, purge)

    def folders(self, *, with_counts: bool = True) -> list[FolderRecord]:
        """Watched folders with their availability and (unless asked not to: cheaper at 100k)
        their present-image counts."""
        return folders.list_folders(self._db, with_counts)

    def set_folder_available(self, folder_id: int, available: bool) -> None:
        """Record whether a folder's root exists right now."""
        folders.set_available(self._db, folder_id, available)

    def status_counts(self, folder_id: int | None = None) -> dict[ImageStatus, int]:
        """Images per status (all statuses, zeros included), for one folder or all."""
        return folders.status_counts(self._db, folder_id)

    def purge_missing(self, folder_id: int | None = None) -> int:
        """Delete missing images with their scores and ratings; returns how many."""
        return folders.purge_missing(self._db, folder_id)

    # scanning and watching
    def scan_folder(self, folder_id: int, progress=None) -> ScanReport:
        """Reconcile one folder with the disk; `progress(done, total)` reports files read."""
        report = scan.scan_folder(self._db, folder_id, progress)
        return report + self._sidecar_report(self.sidecars.import_folder(folder_id))

    def scan_all(self, progress=None) -> ScanReport:
        """Scan every watched folder; the report sums theirs."""
        report = ScanReport()
        for folder in self.folders(with_counts=False):
            report += self.scan_folder(folder.id, progress)
        return report

    @staticmethod
    def _sidecar_report(found) -> ScanReport:
        return ScanReport(ratings_imported=found.imported)

    def apply_fs_changes(
        self,
        created: Iterable[str] = (),
        modified: Iterable[str] = (),
        deleted: Iterable[str] = (),
        moved: Iterable[tuple[str, str]] = (),
    ) -> ScanReport:
        """Apply a batch of watcher events (absolute paths); changed sidecars are read back."""
        created_, modified_, deleted_, moved_ = (
            list(created),
            list(modified),
            list(deleted),
            list(moved),
        )
        report = changes.apply_fs_changes(self._db, created_, modified_, deleted_, moved_)
        touched = [*created_, *modified_, *deleted_, *(p for pair in moved_ for p in pair)]
        return report + self._sidecar_report(self.sidecars.import_paths(touched))

    # the job queue (JobStore protocol)
    def claim_jobs(
        self, limit: int, model_key: str, profile_key: str, quick_profile_key: str | None = None
    ) -> list[Job]:
        """Move up to `limit` due jobs to running, best first; with `quick_profile_key`, quick
        passes before full ones (JobStore)."""
        return jobs.claim_jobs(self._db, limit, model_key, profile_key, quick_profile_key)

    def store_assessment(self, job: Job, assessment: Assessment) -> bool:
        """Store a result, make it current and finish the job, atomically; False if the job
        ended meanwhile (file deleted, folder removed) and nothing was stored (JobStore)."""
        owed = self.sidecars.settings().write_scores
        stored = jobs.store_assessment(self._db, job, assessment, owe_sidecar=owed)
        if stored and owed:
            self.sidecars.changed([job.image_id])
        return stored

    def fail_job(self, job: Job, reason: str, *, permanent: bool) -> None:
        """Fail now (permanent) or retry with backoff up to a limit (JobStore)."""
        jobs.fail_job(self._db, job, reason, permanent=permanent)

    def release_jobs(self, jobs_: list[Job]) -> None:
        """Return claimed, unfinished jobs to the queue (JobStore)."""
        jobs.release_jobs(self._db, jobs_)

    def requeue_interrupted(self) -> int:
        """Jobs left running by a crash go back to the queue; returns how many (JobStore)."""
        return jobs.requeue_interrupted(self._db)

    def queue_counts(self) -> QueueCounts:
        """Jobs queued/running, images scored/failed (JobStore)."""
        return jobs.queue_counts(self._db)

    def image_ids_at(self, paths: Iterable[str | os.PathLike]) -> dict[str, int]:
        """Ids of the images at these paths (keyed by the path as given), where known."""
        return recorded.image_ids_at(self._db, paths)

    def stored_assessment(
        self, image_id: int, model_key: str, profile_key: str
    ) -> Assessment | None:
        """This model + profile's assessment of the image, if stored."""
        return recorded.stored_assessment(self._db, image_id, model_key, profile_key)

    def record_assessment(self, image_id: int, assessment: Assessment) -> None:
        """Store an assessment made outside the job queue and make it the image's current one."""
        owed = self.sidecars.settings().write_scores
        recorded.record_assessment(self._db, image_id, assessment, owe_sidecar=owed)
        if owed:
            self.sidecars.changed([image_id])

    def record_failure(self, image_id: int, reason: str) -> None:
        """Mark an image found unscorable outside the job queue as failed, with the reason."""
        recorded.record_failure(self._db, image_id, reason)

    # the learnt taste (taste_store.py; the learning itself lives in humanaes_desktop.taste)
    def rated_photos(self):
        """(ids, features, stars, flags) of the scored photos the user rated."""
        return taste_store.rated_photos(self._db)

    def scored_features(self, image_ids: list[int] | None = None):
        """(ids, features) of every scored photo, or of the given scored ones."""
        return taste_store.scored_features(self._db, image_ids)

    def load_taste(self) -> dict | None:
        return taste_store.load_taste(self._db)

    def save_taste(self, document: dict, *, ratings: int) -> None:
        taste_store.save_taste(self._db, document, ratings)

    def reset_taste(self) -> bool:
        """Forget the learnt taste (Settings → Reset); True if there was one."""
        return taste_store.reset_taste(self._db)

    def taste_fitted_at(self) -> float | None:
        return taste_store.taste_fitted_at(self._db)

    def ratings_changed_since(self, timestamp: float) -> int:
        return taste_store.ratings_changed_since(self._db, timestamp)

    def request_assessment(self, image_id: int, *, annotate: bool = False) -> bool:
        """Score this image next (the user asked); False if it cannot be scored."""
        return job_requests.request_assessment(self._db, image_id, annotate=annotate)

    def request_assessments(self, image_ids: Sequence[int], *, annotate: bool = False) -> list[int]:
        """Score these images next, in one transaction; returns the ids really queued (or in
        the model), in order: unknown, missing and unsupported ones are left out."""
        return job_requests.request_assessments(self._db, image_ids, annotate=annotate)

    def queue_upgrades(self) -> int:
        """Queue the full pass of images whose current score is a quick one (JobStore)."""
        return job_requests.queue_upgrades(self._db)

    def queue_rescore(self, model_key: str, profile_key: str) -> int:
        """Queue scored images lacking an assessment by this model+profile; returns how many."""
        return job_requests.queue_rescore(self._db, model_key, profile_key)

    # gallery reads
    def query_ids(self, query: GalleryQuery) -> list[int]:
        """All matching image ids in display order (from the gallery arrays once they are
        loaded and hold what the query uses, otherwise sorted and filtered in SQL)."""
        if self._arrays.answers(query):
            return self._arrays.query_ids(query).tolist()
        return queries.query_ids(self._db, query)

    def gallery_ids(self, query: GalleryQuery, *, first_page: int | None = None) -> GalleryIds:
        """The matching ids in display order, as an array (what the gallery shows). Until the
        gallery arrays are loaded, only the first `first_page` ids come from SQL (when given),
        and the answer says it is incomplete. A query the loaded arrays cannot answer (a
        filter they do not hold) is answered whole in SQL."""
        if self._arrays.answers(query):
            return GalleryIds(self._arrays.query_ids(query), complete=True)
        if self._arrays.ready:
            first_page = None
        ids = queries.query_ids(self._db, query, limit=first_page)
        complete = first_page is None or len(ids) < first_page
        return GalleryIds(np.array(ids, dtype=np.int64), complete=complete)

    def load_gallery_arrays(self, progress=None) -> int:
        """Read every photo's sort and filter columns into memory (seconds for a million
        photos; `progress(done, total)` as it goes); returns how many photos."""
        return self._arrays.load(progress)

    @property
    def gallery_arrays_ready(self) -> bool:
        """True once the gallery's sorts and filters are answered from memory."""
        return self._arrays.ready

    def sync_gallery_arrays(self) -> int:
        """Catch the in-memory columns up with the database now (they also do before every
        query); returns how many photos changed. Nothing to do before they are loaded."""
        return self._arrays.sync() if self._arrays.ready else 0

    def warm_gallery_arrays(self) -> None:
        """Sort the usual keys ahead of the first click (after loading, off the GUI thread)."""
        if self._arrays.ready:
            self._arrays.warm()

    def rows(self, ids: Sequence[int]) -> list[ImageRow]:
        """Gallery rows for `ids`, in the given order (unknown ids left out)."""
        return queries.rows(self._db, ids)

    def detail(self, image_id: int) -> ImageDetail | None:
        """The row plus its current assessment, or None for an unknown id."""
        return queries.detail(self._db, image_id)

    def profile_counts(self, query: GalleryQuery) -> ProfileMix:
        """How many photos the query shows with a quick score, how many with a full one, and
        how many of the quick ones wait for their full pass (the first two from the gallery
        arrays once they are loaded: a count over every row in SQL)."""
        if not self._arrays.answers(query):
            return queries.profile_counts(self._db, query)
        quick, full = self._arrays.profile_mix(query)
        pending = queries.full_pending(self._db, query) if quick else 0
        return ProfileMix(quick, full, pending)

    def top_n(self, n: int, key: str = "overall", folder_id: int | None = None) -> list[ImageRow]:
        """The n best scored images by `key` ("best N of this shoot")."""
        query = GalleryQuery(sort_key=key, descending=True, folder_id=folder_id)
        if self._arrays.answers(query):
            ids = self._arrays.query_ids(query, limit=n, scored_only=True)
            return queries.rows(self._db, ids.tolist())
        return queries.top_n(self._db, n, key, folder_id)

    def find_images(self, paths: Iterable[str]) -> dict[str, int]:
        """Image ids of photo paths (resolved, absolute) the library knows; others left out."""
        return image_ids_by_path(self._db, [os.path.realpath(os.path.expanduser(p)) for p in paths])

    def data_version(self) -> int:
        """A number that grows with every committed write, from any process."""
        return queries.data_version(self._db)

    def others_version(self) -> int:
        """A number that changes when another process (a `humanaes watch` beside the app)
        commits to this library, and never for this process's own writes."""
        return self._db.others_version()

    def stats(self) -> stats.LibraryStats:
        """Assessment count, throughput so far and models used (for `library status`)."""
        return stats.library_stats(self._db)

    # results made elsewhere (a cluster job)
    def unscored_images(self, model_key: str, profile_key: str) -> Iterator[unscored.UnscoredImage]:
        """Present, scorable images with no assessment by this model + profile (id order)."""
        return unscored.unscored_images(self._db, model_key, profile_key)

    def count_without_fingerprint(self) -> int:
        """Present images whose content could not be read, so they have no fingerprint."""
        return unscored.count_without_fingerprint(self._db)

    def assessed_fingerprints(self, model_key: str, profile_key: str) -> set[str]:
        """Fingerprints of the images that have an assessment by this model + profile."""
        return unscored.assessed_fingerprints(self._db, model_key, profile_key)

    def import_results(
        self, results: Iterable[result_import.ImportedResult]
    ) -> result_import.ImportReport:
        """Store assessments made elsewhere, matched by fingerprint; idempotent. Where the
        library writes scores to sidecars, the photos whose score changed owe theirs."""
        owed = self.sidecars.settings().write_scores
        report = result_import.import_results(self._db, results, owe_sidecars=owed)
        if owed:
            self.sidecars.changed(report.made_current)
        return report

    # ratings and export
    def set_rating(
        self,
        image_ids: Sequence[int],
        *,
        stars: int | None = None,
        flag: Flag | int | None = None,
        color: str | None = None,
    ) -> list[int]:
        """Set stars (0-5), flag and/or colour (\"\" clears it); None leaves a field unchanged.

        Returns the ids changed. Their sidecars owe the change from the same transaction on,
        and the writer (if started) writes them after the debounce.
        """
        changed = ratings.set_rating(self._db, image_ids, stars=stars, flag=flag, color=color)
        self.sidecars.changed(changed)
        return changed

    def export_rows(self, query: GalleryQuery | None = None) -> Iterator[dict]:
        """Flat dicts (path, scores, ratings, model identity, culling signals) for export."""
        return score_export.export_rows(self._db, query)

    # culling: first-pass signals, bursts and sets, suggested picks
    def first_pass_tasks(
        self, backend_key: str, limit: int, skip: Iterable[int] = ()
    ) -> list[signals_store.FirstPassTask]:
        """Photos lacking current first-pass signals, newest first."""
        return signals_store.needing_first_pass(self._db, backend_key, limit, skip)

    def count_first_pass_waiting(self, backend_key: str) -> int:
        """How many photos wait for their first pass."""
        return signals_store.count_needing_first_pass(self._db, backend_key)

    def store_first_pass(
        self, results: Sequence[signals_store.FirstPassResult], backend_key: str
    ) -> dict[int, float | None]:
        """Store first-pass results; returns folder id -> earliest capture time among them."""
        return signals_store.store_first_pass(self._db, results, backend_key)

    def signals_details(self, image_ids: Sequence[int]) -> dict[int, dict]:
        """Every stored signal (the engine's JSON form) of some photos."""
        return signals_store.signals_details(self._db, image_ids)

    def regroup_folder(self, folder_id: int, settings=None, since: float | None = None) -> int:
        """Recompute a folder's bursts, sets, scenes and picks (only the scenes from `since`
        on, when given); returns rows changed."""
        return groups.regroup_folder(self._db, folder_id, settings, since)

    def groups(
        self, folder_id: int | None = None, image_id: int | None = None
    ) -> list[groups.GroupRecord]:
        """Bursts and sets, in capture order (of one folder, or the one holding an image)."""
        return groups.list_groups(self._db, folder_id, image_id)

    def suggested_picks(self, folder_id: int | None = None) -> list[int]:
        """The suggested frame of each burst."""
        return groups.suggested_picks(self._db, folder_id)

    def accept_suggested_picks(self, folder_id: int | None = None) -> dict[int, Flag]:
        """Flag every burst's suggested frame as picked (nothing is rejected); returns the
        previous flags, which `restore_flags` puts back (undo)."""
        picks = self.suggested_picks(folder_id)
        previous = {row.id: row.rating.flag for row in self.rows(picks)}
        self.set_rating(picks, flag=Flag.PICKED)
        return previous

    def restore_flags(self, previous: dict[int, Flag]) -> None:
        """Put flags back as `accept_suggested_picks` found them."""
        by_flag: dict[Flag, list[int]] = {}
        for image_id, flag in previous.items():
            by_flag.setdefault(Flag(flag), []).append(image_id)
        for flag, ids in by_flag.items():
            self.set_rating(ids, flag=flag)

    def store_embeddings(self, model_key: str, vectors: dict[int, bytes]) -> None:
        """Keep compact image embeddings from scoring (scenes use them)."""
        groups.store_embeddings(self._db, model_key, vectors)
