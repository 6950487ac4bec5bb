"""PySide6 widgets, item models, delegates, dialogs and the Qt bridge. No torch, no SQLAlchemy."""
