"""The register server's domain: store, rights, lifecycle, sync, journal. Never imports streamlit.

The pages and the CLI use these names.
"""

from .auth import User, login, require
from .config import Settings, load_settings
from .errors import CaisseError
from .history import last_runs, read_history, run_log
from .home import initialise, open_store
from .lifecycle import STATE_WORDS, Overview, RegisterState, import_blocker, read_overview, register_states
from .sync import ImportResult, run_import

__all__ = [
    "User", "login", "require", "Settings", "load_settings", "CaisseError", "last_runs", "read_history",
    "run_log", "initialise", "open_store", "STATE_WORDS", "Overview", "RegisterState", "import_blocker",
    "read_overview", "register_states", "ImportResult", "run_import",
]
