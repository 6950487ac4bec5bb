"""The AppStream metadata validates, agrees with the package, and installs as a valid tree."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from importlib.metadata import entry_points, version
from pathlib import Path

from desktop_tools import (
    METAINFO_FILE,
    ROOT,
    install_desktop,
    problems,
    require_tool,
    run_tool,
    validate_metainfo,
)
from PIL import Image

from humanaes_desktop.identity import APP_ID

SCREENSHOTS = ROOT / "resources" / "screenshots"


def component() -> ET.Element:
    return ET.parse(METAINFO_FILE).getroot()


def test_appstreamcli_accepts_the_metadata_without_warnings():
    result = validate_metainfo(METAINFO_FILE)
    assert result.returncode == 0, result.stdout
    assert problems(result) == []


def test_appstreamcli_fails_on_a_warning(tmp_path):
    # Guards the check above: a bad release date is only a warning, and it must fail.
    broken = tmp_path / METAINFO_FILE.name
    text = METAINFO_FILE.read_text(encoding="utf-8")
    broken.write_text(text.replace('date="', 'date="2026-13-'), encoding="utf-8")
    result = validate_metainfo(broken)
    assert result.returncode != 0
    assert any("date" in line for line in problems(result))


def test_the_metadata_names_this_app_and_its_programs():
    root = component()
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == f"{APP_ID}.desktop"
    programs = {
        point.name
        for group in ("console_scripts", "gui_scripts")
        for point in entry_points(group=group)
        if point.value.startswith("humanaes_desktop.")
    }
    assert {binary.text for binary in root.iter("binary")} == programs
    assert int(root.findtext("recommends/memory")) >= 4096  # MiB; the 1B model needs ~4.2 GiB


def test_the_newest_release_is_this_version():
    releases = component().findall("releases/release")
    assert releases and releases[0].get("version") == version("humanaes-desktop")


def test_every_screenshot_is_one_of_ours_with_its_real_size():
    images = component().findall("screenshots/screenshot/image")
    assert len(images) >= 1
    for image in images:
        local = SCREENSHOTS / Path(image.text).name
        assert local.is_file(), image.text
        with Image.open(local) as picture:
            assert picture.size == (int(image.get("width")), int(image.get("height")))


def test_install_desktop_makes_a_tree_appstream_accepts(tmp_path):
    prefix = tmp_path / "prefix"
    result = install_desktop(prefix)
    assert result.returncode == 0, result.stderr
    share = prefix / "share"
    assert (share / "applications" / f"{APP_ID}.desktop").is_file()
    assert (share / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    for size in ("scalable", "48x48", "128x128", "256x256"):
        assert list((share / "icons" / "hicolor" / size / "apps").glob(f"{APP_ID}.*"))
    assert not (prefix / "bin").exists()  # no APP_DIR: nothing linked
    tree = run_tool(require_tool("appstreamcli"), "validate-tree", "--no-net", str(prefix))
    assert tree.returncode == 0, tree.stdout
    assert problems(tree) == []


def test_install_desktop_links_the_programs_it_is_given(tmp_path):
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    for program in ("humanaes-desktop", "humanaes"):
        (app_dir / program).write_text("#!/bin/sh\n")
        (app_dir / program).chmod(0o755)
    result = install_desktop(tmp_path / "prefix", app_dir)
    assert result.returncode == 0, result.stderr
    for program in ("humanaes-desktop", "humanaes"):
        link = tmp_path / "prefix" / "bin" / program
        assert os.readlink(link) == str(app_dir / program)


def test_install_desktop_refuses_an_app_dir_without_the_programs(tmp_path):
    result = install_desktop(tmp_path / "prefix", tmp_path)
    assert result.returncode == 2
    assert "no program" in result.stderr
