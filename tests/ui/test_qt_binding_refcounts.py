"""Guards the PySide6 pin: a binding that loses a reference to None or True on each call makes
the running app abort after enough clicks, paints or signals ("deallocating None")."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QObject, Signal  # noqa: E402
from PySide6.QtWidgets import QLabel  # noqa: E402

CALLS = 2000


class _Emitter(QObject):
    changed = Signal(int)


def test_void_calls_and_signal_emits_keep_none_and_true_alive(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    emitter = _Emitter()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for i in range(CALLS):
        label.setText(str(i))  # returns void: must not consume a reference to None
        emitter.changed.emit(i)  # returns True: must not consume a reference to True
    assert none_before - sys.getrefcount(None) < CALLS // 10
    assert true_before - sys.getrefcount(True) < CALLS // 10
