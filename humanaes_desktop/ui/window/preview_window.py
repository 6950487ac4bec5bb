"""Full-screen preview for culling: the photo on black, arrows move, Esc or Space closes."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QKeyEvent, QPainter, QPixmap
from PySide6.QtWidgets import QWidget

from humanaes_desktop.ui.background.image_loader import DecodedImage, ImageLoader

FALLBACK_SCREEN = QSize(2560, 1600)


class FullScreenPreview(QWidget):
    """Shows one photo full screen; `navigate(-1 | +1)` asks the owner for the previous/next."""

    navigate = Signal(int)
    closed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Preview")
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(self.backgroundRole(), QColor("#000000"))
        self.setPalette(palette)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._loader = ImageLoader(self)
        self._loader.loaded.connect(self._on_loader_loaded)
        self._path: str | None = None
        self._pixmap: QPixmap | None = None
        self._message = ""
        self._caption = ""

    def current_path(self) -> str | None:
        """The photo shown (or loading)."""
        return self._path

    def pixmap(self) -> QPixmap | None:
        """The decoded photo, once loaded."""
        return self._pixmap

    def show_image(self, path: str, caption: str = "") -> None:
        """Show `path` full screen (decoded off the GUI thread), with an optional caption line.

        The caption (e.g. "IMG_0042.jpg · 0.71 good · ★★★") sits bottom-left over the photo.
        Culling keys: add the window's rating QActions with `addActions` so P/X/0-5 work here too.
        """
        self._path = path
        self._caption = caption
        self._message = "Loading…" if self._pixmap is None else ""
        screen = self.screen() or QGuiApplication.primaryScreen()
        size = screen.size() * screen.devicePixelRatio() if screen else FALLBACK_SCREEN
        self._loader.request(path, size)
        if not self.isVisible():
            self.showFullScreen()
        self.activateWindow()
        self.setFocus()
        self.update()

    def _on_loader_loaded(self, result: DecodedImage) -> None:
        if result.path != self._path:
            return
        if result.image is None:
            self._pixmap = None
            self._message = f"Cannot show {result.path}: {result.error}"
        else:
            self._pixmap = QPixmap.fromImage(result.image)
            self._message = ""
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#000000"))
        if self._pixmap is not None and not self._pixmap.isNull():
            # Keep the previous photo up while the next decodes: no black flash between photos.
            scaled = self._pixmap.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            x = (self.width() - scaled.width()) // 2
            y = (self.height() - scaled.height()) // 2
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawPixmap(x, y, scaled.width(), scaled.height(), self._pixmap)
        if self._message:
            painter.setPen(QColor("#dddddd"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._message)
        if self._caption:
            self._paint_caption(painter)
        painter.end()

    def _paint_caption(self, painter: QPainter) -> None:
        metrics = painter.fontMetrics()
        box = metrics.boundingRect(self._caption).adjusted(-10, -6, 10, 6)
        box.moveBottomLeft(self.rect().bottomLeft() + QPoint(16, -16))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 170))
        painter.drawRoundedRect(box, 6, 6)
        painter.setPen(QColor("#f0f0f0"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self._caption)

    def set_caption(self, caption: str) -> None:
        """Replace the caption line (a rating changed while the photo is shown)."""
        self._caption = caption
        self.update()

    def caption(self) -> str:
        """The caption line shown over the photo."""
        return self._caption

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key in (Qt.Key.Key_Escape, Qt.Key.Key_Space):
            self.close()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Up):
            self.navigate.emit(-1)
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_Down):
            self.navigate.emit(1)
        else:
            super().keyPressEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802
        self._loader.cancel()
        self._pixmap = None
        self._path = None
        self.closed.emit()
        super().closeEvent(event)
