"""What the scoring worker needs from the library and from the engine, as Protocols.

The library's `Library` class and the engine's `HumanAesExpert` adapter satisfy these; the worker
depends only on this file, so each side can change behind it.
"""

from __future__ import annotations

from typing import Protocol

from humanaes_desktop.engine.assessment import Assessment, ModelIdentity, PreprocessProfile
from humanaes_desktop.library.records import Job, QueueCounts


class JobStore(Protocol):
    """The persistent queue (implemented by `humanaes_desktop.library.Library`)."""

    def claim_jobs(
        self, limit: int, model_key: str, profile_key: str, quick_profile_key: str | None = None
    ) -> list[Job]:
        """Atomically move up to `limit` queued jobs to running and return them, highest
        priority first. Jobs whose image already has an assessment for this model+profile (and
        that were not explicitly re-requested) are completed without being returned.

        With `quick_profile_key` ("quick first"), jobs no user asked for explicitly come first
        for their quick pass (`Job.quick`), then for their full pass (`profile_key`), best quick
        score first."""

    def store_assessment(self, job: Job, assessment: Assessment) -> bool:
        """In one transaction: store the assessment, mark the image scored, finish the job (a
        quick pass instead queues the job for its full pass). The image shows the best score
        it has: a quick one never replaces the same model's full one.
        False (nothing stored) when the job ended meanwhile: the file was deleted or replaced
        by one that cannot be scored, or its folder removed."""

    def fail_job(self, job: Job, reason: str, *, permanent: bool) -> None:
        """Permanent: the image becomes FAILED with `reason`, the job ends. Transient: the job
        returns to the queue with a backoff delay, up to a retry limit, then fails."""

    def release_jobs(self, jobs: list[Job]) -> None:
        """Return claimed-but-unfinished jobs to the queue (pause, stop, model change)."""

    def requeue_interrupted(self) -> int:
        """At startup: jobs left running by a crash go back to the queue; returns how many."""

    def queue_counts(self) -> QueueCounts: ...

    def queue_upgrades(self) -> int:
        """Queue the full pass of every image whose current score is a quick one and that has
        no job; returns how many (called when a plan with a full pass starts)."""


class Engine(Protocol):
    """A loaded model (implemented by `humanaes_desktop.engine.model.adapter.HumanAesExpert`)."""

    identity: ModelIdentity
    device: str
    dtype: str

    def assess(self, pixels, *, annotate: bool = False, profile: PreprocessProfile) -> Assessment:
        """Score one image's preprocessed tiles (a float tensor [tiles, 3, 448, 448])."""
