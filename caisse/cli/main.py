"""The `caisse` command (DESIGN section 11). Exit status: 0 done, 1 refused, 2 usage, 3 the drop failed.

Each command's module is imported when that command runs (`COMMANDS`): `caisse status`, which a shop's scripts
may call every second beside a busy app, loads the store and the lifecycle, not the sales, the printer or the
import pipeline."""

from __future__ import annotations

import errno
import importlib
import importlib.util
import json
import os
import socket
import sys
from pathlib import Path

import duckdb

from caisse.cli.arguments import build_parser
from caisse.common import incidents
from caisse.common.config import load_settings
from caisse.common.errors import CaisseError, ConfigError, DiskFull
from caisse.common.money import plural
from caisse.common.words import TRAINING_MARK
from caisse.fiscal.keys import load_keys
from caisse.fiscal.periods import pending_periods
from caisse.rules import history, lifecycle
from caisse.rules.lifecycle import trained
from caisse.services import training
from caisse.services.home import initialise, open_store
from caisse.storage import disk
from caisse.storage.store import SCHEMA_VERSION
from pipeline.contracts import table_reference_markdown
from pipeline.errors import PipelineError, os_words


def cmd_init(args, settings) -> int:
    report = initialise(settings, demo=args.demo)
    print(f"Base {report.store} prête (schéma v{report.schema_version}).")
    print(f"Clé d'intégrité {settings.integrity_key_path} "
          + ("créée (mode 600) : sauvegardez-la hors du serveur." if report.key_created else "déjà présente, gardée."))
    if args.demo:
        print(f"Boutique de démonstration déposée dans {report.demo_folder} ({report.demo_files} fichiers).")
        print("Ensuite : caisse import --caisse C01 --user responsable (mot de passe de démo : resp2026).")
    return 0


def cmd_status(args, settings) -> int:
    store = open_store(settings)
    with store.connect() as con:
        states = lifecycle.register_states(con)
        blocker = lifecycle.import_blocker(con)
        runs = history.last_runs(con, args.runs)
        waiting = {s.code: [str(p) for p in pending_periods(con, s.id_caisse)] for s in states}
    practising = trained(store)
    if args.json:
        print(json.dumps({
            "mode": settings.mode,
            "import_possible": blocker is None,
            "caisses": [{"code": s.code, "libelle": s.libelle, "etat": s.etat,
                         "jours_a_exporter": s.jours_a_exporter, "formation": s.code in practising,
                         "periodes_en_attente": waiting[s.code]} for s in states],
            "synchronisations": [{"id": r.id_run, "sens": r.sens, "lot": r.lot, "caisse": r.caisse,
                                  "statut": r.statut, "debut": r.debut.isoformat(timespec="seconds"),
                                  "fichiers": r.fichiers, "lignes": r.lignes, "message": r.message} for r in runs],
        }, ensure_ascii=False, indent=2))
        return 0
    print(f"Mode de synchronisation : {settings.mode_words}\nServeur principal : {settings.drop_shown}")
    if not states:
        print("Aucune caisse : importez les données du serveur principal (caisse import --caisse C01 --user ...).")
    for s in states:
        pending = f"  ({plural(s.jours_a_exporter, 'journée')} à exporter)" if s.jours_a_exporter else ""
        practice = "  — MODE FORMATION (caisse training off pour revenir au réel)" if s.code in practising else ""
        print(f"  {s.code:<6} {s.libelle:<24} {s.etat_libelle}{pending}{practice}")  # the code: --json
        for sentence in waiting[s.code]:
            print(f"         {sentence}")
    print("Import possible." if blocker is None else f"Import impossible : {blocker}")
    if runs:
        print("Derniers échanges :")
        for r in runs:
            detail = (f"{plural(r.fichiers, 'fichier')}, {plural(r.lignes, 'ligne')}" if r.statut == "reussi"
                      else r.message)
            outcome = history.RUN_WORDS.get(r.statut, r.statut)
            print(f"  {r.debut:%Y-%m-%d %H:%M:%S}  {r.sens:<6} {r.caisse:<5} {outcome:<7} {r.id_run}  {detail}")
    return 0


def cmd_log(args, settings) -> int:
    with open_store(settings).connect() as con:
        run, lines = history.run_log(con, args.lot)
    print(f"{run.sens} {run.caisse} lot {run.lot} ({run.id_run}) : {history.RUN_WORDS.get(run.statut, run.statut)}"
          + (f" ({run.message})" if run.message else ""))
    for ts, message in lines:
        print(f"{ts:%Y-%m-%d %H:%M:%S} {message}")
    return 0


def cmd_docs(args, settings) -> int:
    Path(args.output).write_text(table_reference_markdown() + "\n", encoding="utf-8")
    print(f"Référence des tables écrite dans {args.output}.")
    return 0


def cmd_serve(args, settings) -> int:
    """The app on `address` (127.0.0.1 unless told: the shop's network is a choice), in HTTPS when a certificate
    is set, never calling out (pages/server.py: no usage statistics, no public-address lookup)."""
    root = app_folder()
    address = args.address or settings.address
    command = [sys.executable, "-m", "pages.server", "run", str(root / "app.py"), "--server.port", str(args.port),
               "--server.address", address, "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--client.showErrorDetails", "none"]
    if settings.tls_cert or settings.tls_key:
        for path in (settings.tls_cert, settings.tls_key):
            if not path or not Path(path).is_file():
                raise ConfigError("HTTPS demande le certificat et sa clé (tls_cert et tls_key, ou CAISSE_TLS_CERT et "
                                  f"CAISSE_TLS_KEY) : « {path or '—'} » est introuvable.")
        command += ["--server.sslCertFile", settings.tls_cert, "--server.sslKeyFile", settings.tls_key]
    check_listen(address, args.port)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
           "CAISSE_NOMS_ADMIS": ",".join(served_names(settings.hosts))}
    os.chdir(root)  # .streamlit/config.toml is read from here
    os.execve(sys.executable, command, env)
    return 0  # not reached


def app_folder() -> Path:
    """Where app.py and pages/ are: the project's root in a checkout or an editable install, the `caisse_web`
    folder of an installed package (pyproject.toml ships them there)."""
    spec = importlib.util.find_spec("caisse_web")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / "app.py").is_file():
            return Path(folder)
    return Path(__file__).resolve().parents[2]


def served_names(extra: str) -> list[str]:
    """The names a browser may call this server by (its Host header), beside any IP address: localhost, the
    machine's name (and name.local), and the `hosts` setting. Another name is a page of someone else's site
    that got this server's address from its DNS (DNS rebinding): refused."""
    own = socket.gethostname().lower()
    return sorted({"localhost", own, f"{own}.local", *(n.strip().lower() for n in extra.split(",") if n.strip())})


def check_listen(address: str, port: int) -> None:
    """Refuse in a sentence what Streamlit would say in English ("Port 8501 is not available"): a port already
    taken, an address that is not this server's. Bound as Streamlit binds (SO_REUSEADDR), then let go."""
    try:
        numeric = 0 if address == "localhost" else socket.AI_NUMERICHOST  # a name would be a DNS lookup: none
        family, kind, proto, _, where = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM, flags=numeric)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(where)
    except socket.gaierror:
        raise ConfigError(f"L'adresse d'écoute « {address} » n'est pas une adresse IP : donnez une adresse de ce "
                          "serveur (127.0.0.1, ou 0.0.0.0 pour le réseau du magasin).") from None
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise ConfigError(f"Le port {port} est déjà pris sur {address} : l'application caisse y tourne peut-être "
                              f"déjà (http://{address}:{port}). Arrêtez ce qui l'écoute, ou choisissez un autre "
                              f"port : caisse serve --port {port + 1}.") from None
        raise ConfigError(f"Impossible d'écouter sur {address}:{port} ({os_words(e)}) : donnez une adresse de ce "
                          "serveur (127.0.0.1, ou 0.0.0.0 pour le réseau du magasin) et un port libre.") from None


COMMANDS = {  # command: the function that runs it, "module.function" for those imported when they run
    "init": cmd_init,
    "status": cmd_status,
    "import": "day.cmd_import",
    "open": "day.cmd_open",
    "sell": "day.cmd_sell",
    "void": "day.cmd_void",
    "return": "day.cmd_return",
    "move": "day.cmd_move",
    "close": "day.cmd_close",
    "export": "day.cmd_export",
    "verify": "fiscal.cmd_verify",
    "key": "fiscal.cmd_key",
    "report": "reports.cmd_report",
    "archive": "fiscal.cmd_archive",
    "verify-archive": "fiscal.cmd_verify_archive",
    "purge": "fiscal.cmd_purge",
    "training": "training.cmd_training",
    "print-test": "day.cmd_print_test",
    "log": cmd_log,
    "docs": cmd_docs,
    "serve": cmd_serve,
}


ON_A_REGISTER = {"import", "open", "sell", "void", "return", "move", "close", "export", "report"}


def check_schema(settings) -> None:
    """A store written by an earlier version is brought forward by `caisse init` (or the app's start) only."""
    store = open_store(settings)
    version = store.schema_version() if store.path.exists() else SCHEMA_VERSION
    if version > SCHEMA_VERSION:
        raise ConfigError(f"La base {store.path} a été écrite par une version plus récente du logiciel (schéma "
                          f"v{version}, celle-ci connaît v{SCHEMA_VERSION}) : installez cette version-là ; rien n'a "
                          "été touché.")
    if version < SCHEMA_VERSION:
        raise ConfigError(f"La base {store.path} a été écrite par une version précédente du logiciel : lancez "
                          "« caisse init » pour la mettre à jour (rien n'y est perdu), puis recommencez.")


def command(name: str):
    run = COMMANDS[name]
    if isinstance(run, str):
        module, function = run.split(".")
        run = getattr(importlib.import_module(f".{module}", __package__), function)
    return run


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = None
    try:
        settings = load_settings()
        if args.command not in ("init", "docs") and settings.integrity_key_path.exists():
            load_keys(settings.integrity_key_path)  # a key others can read is refused at every start
        if args.command not in ("init", "docs", "serve", "verify-archive"):
            check_schema(settings)
        if args.command in ON_A_REGISTER:  # a register in training works in its training home
            settings = training.settings_for(settings, args.caisse)
            if settings.formation:
                print(f"{TRAINING_MARK} caisse {args.caisse} : ventes d'entraînement, qui ne comptent nulle part.")
        return command(args.command)(args, settings)
    except (CaisseError, PipelineError) as e:
        print(f"Erreur : {e}", file=sys.stderr)
        return getattr(e, "exit_code", 1)
    except BrokenPipeError:  # `caisse status | head`: the reader left, nothing to say
        sys.stderr.close()
        return 0
    except OSError as e:  # a write path that met the disk full or refused (every rule's own errors are above)
        if disk.is_no_space(e):
            print(f"Erreur : {DiskFull(e.filename or 'disque')}", file=sys.stderr)
        else:
            print(f"Erreur : écriture ou lecture impossible ({os_words(e)} : {e.filename or '—'}). Vérifiez le "
                  "disque et les droits du dossier du serveur caisse, puis recommencez.", file=sys.stderr)
        return DiskFull.exit_code
    except duckdb.Error as e:
        words = str(DiskFull("base")) if disk.is_no_space(e) else (
            f"la base n'a pas pu être lue ou écrite ({str(e).splitlines()[0][:200]}). Rien n'a été enregistré à "
            "moitié : recommencez ; si cela persiste, lancez « caisse verify » et contactez la hotline.")
        print(f"Erreur : {words[:1].upper()}{words[1:]}", file=sys.stderr)
        return DiskFull.exit_code
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
    except Exception as e:  # a fault nobody foresaw: a sentence and a reference here, the traceback in the log
        return _unexpected(e, args.command, settings)


def _unexpected(error: Exception, name: str, settings) -> int:
    try:
        where = incidents.log_to(settings.logs_dir if settings else load_settings().logs_dir)
        ref = incidents.record(error)
    except Exception:  # not even the log can be written: the traceback is all there is to give
        raise error from None
    print(f"Erreur inattendue (réf. {ref}) : la commande « caisse {name} » s'est arrêtée. Ce qui était déjà "
          f"enregistré est conservé. Le détail est dans {where} sous cette référence : donnez-la à la hotline si "
          "cela revient.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
