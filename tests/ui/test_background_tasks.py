"""The GUI's one way to run background work: results on the GUI thread, pools stopped at exit."""

from __future__ import annotations

import logging
import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QObject, QThread  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from humanaes_desktop.ui.background.tasks import (  # noqa: E402
    LatestRequest,
    TaskRunner,
    shutdown_all_runners,
    to_main,
)


def on_gui_thread() -> bool:
    return QThread.currentThread() is QApplication.instance().thread()


@pytest.fixture
def runner():
    runner = TaskRunner(max_threads=2, name="test")
    yield runner
    runner.shutdown()


def test_result_arrives_on_the_gui_thread(qtbot, runner):
    seen = []
    runner.run_task(
        lambda: threading.current_thread().name, lambda r: seen.append((r, on_gui_thread()))
    )
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    worker_thread, delivered_on_gui = seen[0]
    assert worker_thread != threading.current_thread().name  # the work ran elsewhere
    assert delivered_on_gui


def test_a_runner_made_on_another_thread_still_delivers_on_the_gui_thread(qtbot):
    made = []
    maker = threading.Thread(target=lambda: made.append(TaskRunner(name="made-elsewhere")))
    maker.start()
    maker.join()
    seen = []
    made[0].run_task(lambda: 42, lambda r: seen.append((r, on_gui_thread())))
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == [(42, True)]
    made[0].shutdown()


def test_to_main_from_a_plain_thread_runs_on_the_gui_thread(qtbot):
    seen = []
    thread = threading.Thread(
        target=lambda: to_main(lambda x: seen.append((x, on_gui_thread())), 7)
    )
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == [(7, True)]


def test_an_exception_reaches_on_error_on_the_gui_thread(qtbot, runner):
    errors = []

    def fail():
        raise ValueError("broken file")

    runner.run_task(fail, on_error=lambda exc: errors.append((exc, on_gui_thread())))
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    exc, delivered_on_gui = errors[0]
    assert isinstance(exc, ValueError) and str(exc) == "broken file" and delivered_on_gui


def test_an_exception_without_on_error_is_logged_with_its_traceback(qtbot, runner, caplog):
    def fail():
        raise ValueError("nobody listens")

    with caplog.at_level(logging.ERROR, logger="humanaes_desktop.ui.background.tasks"):
        runner.run_task(fail)
        qtbot.waitUntil(lambda: bool(caplog.records), timeout=5000)
    record = caplog.records[0]
    assert record.exc_info and "nobody listens" in str(record.exc_info[1])


def test_nothing_arrives_once_the_context_is_deleted(qtbot, runner):
    owner = QObject()
    release, seen = threading.Event(), []
    runner.run_task(lambda: release.wait(5), lambda r: seen.append(r), context=owner)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not _alive(owner), timeout=5000)
    release.set()
    assert runner.wait_idle(5000)  # the result is posted by now
    processed = []
    to_main(lambda: processed.append(True))  # results arrive in order: this one comes after it
    qtbot.waitUntil(lambda: bool(processed), timeout=5000)
    assert seen == []


def _alive(obj: QObject) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)


def test_shutdown_all_asks_long_work_to_stop_and_waits_for_it():
    cancel = threading.Event()
    runner = TaskRunner(max_threads=1, name="long", cancel=cancel)
    started, finished = threading.Event(), threading.Event()

    def long_work():
        started.set()
        cancel.wait(30)  # e.g. a download checking its cancel flag
        finished.set()

    runner.run_task(long_work)
    assert started.wait(5)
    assert shutdown_all_runners(timeout_ms=5000)
    assert finished.is_set()  # waited for, not abandoned
    with pytest.raises(RuntimeError):
        runner.run_task(lambda: None)  # a shut-down runner takes no new work


def test_only_the_latest_answer_counts():
    latest = LatestRequest()
    seen = []
    first = latest.only_latest(seen.append)
    second = latest.only_latest(seen.append)
    second("new")
    first("old")  # a slower, older answer arrives last
    assert seen == ["new"]
    stamp = latest.new()
    assert latest.is_current(stamp)
    latest.cancel()
    assert not latest.is_current(stamp)
