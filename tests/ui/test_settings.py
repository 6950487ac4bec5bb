"""AppSettings: what the user chose survives a restart; a damaged file never stops the app."""

from __future__ import annotations

import json
import logging

from humanaes_desktop.engine.assessment import PreprocessProfile
from humanaes_desktop.settings import AppSettings, default_settings_path


def test_round_trip_keeps_every_choice(tmp_path):
    path = tmp_path / "settings.json"
    chosen = AppSettings(
        model_dir="/models/humanaes-1b",
        model_trusted=True,
        device="cuda",
        dtype="fp16",
        max_tiles=6,
        profile_mode="quick",
        annotation="on",
        fast_decode=True,
        thumbnail_cache_mb=128,
    )
    chosen.save(path)
    loaded = AppSettings.load(path)
    assert loaded == chosen
    assert loaded.path == path
    assert "path" not in json.loads(path.read_text())


def test_missing_file_gives_defaults(tmp_path):
    loaded = AppSettings.load(tmp_path / "nothing-here.json")
    assert loaded == AppSettings()
    assert loaded.model_dir is None and loaded.annotation == "on_demand"


def test_corrupt_file_gives_defaults_and_is_logged(tmp_path, caplog):
    path = tmp_path / "settings.json"
    path.write_text('{"device": "cuda", "max_til')  # truncated by a crash
    with caplog.at_level(logging.WARNING):
        loaded = AppSettings.load(path)
    assert loaded == AppSettings()
    assert "corrupt" in caplog.text


def test_invalid_and_unknown_values_fall_back_one_by_one(tmp_path, caplog):
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "device": "tpu",  # unknown device
                "dtype": "bf16",  # valid
                "max_tiles": 40,  # out of range
                "profile_mode": "fastest",  # no such mode
                "annotation": "off",  # valid
                "fast_decode": "yes",  # wrong type
                "from_a_newer_version": 1,
            }
        )
    )
    with caplog.at_level(logging.WARNING):
        loaded = AppSettings.load(path)
    assert (loaded.device, loaded.dtype, loaded.max_tiles) == ("auto", "bf16", 12)
    assert loaded.profile_mode == "auto"
    assert (loaded.annotation, loaded.fast_decode) == ("off", False)
    assert "tpu" in caplog.text


def test_json_that_is_not_an_object_gives_defaults(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("[1, 2, 3]")
    assert AppSettings.load(path) == AppSettings()


def test_save_goes_to_the_load_path_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "cfg" / "settings.json"
    settings = AppSettings.load(path)
    settings.device = "cpu"
    settings.save()
    assert AppSettings.load(path).device == "cpu"
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]


def test_default_location_honours_data_dir_override(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANAES_DATA_DIR", str(tmp_path))
    assert tmp_path in default_settings_path().parents
    AppSettings(max_tiles=3).save()
    assert AppSettings.load().max_tiles == 3


def test_profile_reflects_tiles_and_decode_mode():
    assert AppSettings(max_tiles=4, fast_decode=True).profile() == PreprocessProfile(
        max_tiles=4, decode="fast"
    )
    assert AppSettings().profile() == PreprocessProfile(max_tiles=12, decode="exact")
