"""Quick first, full later, in the sidecars: a quick score is written like a full one (its
profile says one tile), and the full score replaces it once stored."""

from __future__ import annotations

from humanaes_desktop.engine.assessment import PreprocessProfile
from tests.support.assessments import SYNTHETIC_MODEL, make_assessment
from tests.support.xmp import library_with_photos

QUICK = PreprocessProfile(max_tiles=1)
FULL = PreprocessProfile(max_tiles=12)


def _claim(library):
    return library.claim_jobs(10, SYNTHETIC_MODEL.key, FULL.key, QUICK.key)


def test_the_quick_score_reaches_the_sidecar_and_the_full_one_replaces_it(tmp_path):
    library, folder, _ids = library_with_photos(
        tmp_path, ["a.jpg"], write_scores=True, write_synthetic=True
    )
    sidecar = folder / "a.jpg.xmp"
    with library:
        (quick_job,) = _claim(library)
        assert quick_job.quick
        library.store_assessment(quick_job, make_assessment(0.4321, profile=QUICK))
        library.sidecars.flush()
        written = sidecar.read_text()
        assert 'humanaes:Overall="0.4321"' in written
        assert f'humanaes:Profile="{QUICK.key}"' in written
        (full_job,) = _claim(library)
        assert not full_job.quick
        library.store_assessment(full_job, make_assessment(0.6543, profile=FULL, tiles=13))
        library.sidecars.flush()
        written = sidecar.read_text()
    assert 'humanaes:Overall="0.6543"' in written and "0.4321" not in written
    assert f'humanaes:Profile="{FULL.key}"' in written


def test_no_scores_in_sidecars_unless_asked(tmp_path):
    library, folder, _ids = library_with_photos(tmp_path, ["a.jpg"], write_synthetic=True)
    sidecar = folder / "a.jpg.xmp"
    with library:
        (quick_job,) = _claim(library)
        library.store_assessment(quick_job, make_assessment(0.4321, profile=QUICK))
        library.sidecars.flush()
    assert not sidecar.exists() or "0.4321" not in sidecar.read_text()
