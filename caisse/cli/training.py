"""`caisse training on|off`: a register enters or leaves training mode (R26)."""

from __future__ import annotations

from caisse.cli.common import login as _login
from caisse.services import training


def cmd_training(args, settings) -> int:
    store, user, _ = _login(args, settings)
    print(training.switch(store, settings, args.caisse, user, args.action == "on"))
    return 0
