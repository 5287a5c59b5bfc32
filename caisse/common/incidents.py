"""Errors nobody foresaw: the person in front of the app or the terminal reads one French sentence with a
reference; the traceback goes to `application.log` beside the exchanges' logs, under that reference."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from pathlib import Path

LOG = logging.getLogger("caisse.app")
LOG_NAME = "application.log"


def log_to(logs_dir: Path) -> Path:
    """Send the app's log to `logs_dir/application.log` (once per file)."""
    path = Path(logs_dir) / LOG_NAME
    if not any(getattr(h, "baseFilename", None) == str(path) for h in LOG.handlers):
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        LOG.addHandler(handler)
        LOG.setLevel(logging.INFO)
    return path


def record(error: BaseException) -> str:
    """Write the error's traceback to the log under a new reference, and return the reference."""
    ref = f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
    LOG.error("erreur inattendue, réf. %s", ref, exc_info=error)
    return ref
