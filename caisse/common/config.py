"""Settings: `caisse.toml` (path in CAISSE_CONFIG), each key overridable by a CAISSE_* variable."""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from datetime import time
from decimal import Decimal
from pathlib import Path

from caisse.common.dates import Calendar
from caisse.common.errors import ConfigError
from pipeline.drop import masked_url
from pipeline.names import ascii_digits

MODES = ("manual", "auto")
MODE_WORDS = {"manual": "manuel (boutons Importer et Exporter)", "auto": "automatique (import à l'ouverture, export "
              "à la fermeture)"}


TEXTS = ("home", "drop", "mode", "printer", "sftp_key", "sftp_known_hosts", "sftp_password", "import_dir", "export_dir",
         "address", "hosts", "tls_cert", "tls_key", "debut_journee", "keys_dir", "archive_copy", "cheque_cadeau_reste")
FOLDER_PART = re.compile(r"[^\x00-\x1f\x7f\\]+")  # a folder's name: no control character, no backslash
PRINTERS = (re.compile(r"network://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?"), re.compile(r"usb://[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}"),
            re.compile(r"(serial|file)://(/[^/\0]+)+"))


@dataclass(frozen=True)
class Limits:
    """What a person may type before a sentence stops them (plausible amounts and quantities)."""

    max_quantity: Decimal = Decimal("999")
    max_cash_factor: Decimal = Decimal("10")  # cash handed over: at most this many times the ticket's total
    max_cash: Decimal = Decimal("2000.00")  # and at most this much
    max_float: Decimal = Decimal("5000.00")  # the float of an opening
    merge_lines: bool = True  # the same article scanned again adds to its line
    largest_note: Decimal = Decimal("100.00")  # a single note up to this is always a plausible tender
    move_manager_above: Decimal = Decimal("200.00")  # a cash move above this needs a manager's password
    cheque_cadeau_reste: str = "avoir"  # a gift cheque worth more than the ticket: its rest as a credit note, or lost


LIMIT_KEYS = {f.name for f in fields(Limits)}


@dataclass(frozen=True)
class Settings:
    home: Path
    drop: str
    mode: str = "manual"
    printer: str = "preview"
    sftp_key: str = ""
    sftp_known_hosts: str = ""
    sftp_password: str = ""
    import_dir: str = ""
    export_dir: str = "export/{caisse}"
    max_file_mb: float = 2048
    max_unknown_columns: int = 20  # columns outside a table's contract a file may bring (kept as text)
    lock_timeout: float = 10.0
    sftp_timeout: float = 10.0
    sftp_retries: int = 3
    printer_width: int = 42
    print_receipts: bool = False
    idle_minutes: int = 15  # a session idle this long asks for the seller's password (or PIN) again
    address: str = "127.0.0.1"  # where `caisse serve` listens (0.0.0.0: the shop's network)
    hosts: str = ""  # other names the registers use for this server (comma-separated), beside its own
    tls_cert: str = ""  # HTTPS: the certificate and its key (PEM files)
    tls_key: str = ""
    debut_journee: str = "00:00"  # when a business day starts (04:00 for a bar: a night counts for its evening)
    debut_exercice: int = 1  # the fiscal year's first month (1: the calendar year)
    keys_dir: str = ""  # where the keys and the heads files live (another disk): default, the data folder
    archive_copy: str = ""  # a second place for the archives, outside the data folder (a purge requires it)
    formation: bool = False  # a training home's settings (caisse/services/training.py), never read from a file
    limits: Limits = field(default_factory=Limits)  # what people may type: its keys are settings' keys too

    @property
    def calendar(self):
        hours, minutes = self.debut_journee.split(":")
        return Calendar(time(int(hours), int(minutes)), self.debut_exercice)

    @property
    def mode_words(self) -> str:
        return MODE_WORDS[self.mode]

    @property
    def drop_shown(self) -> str:
        """The drop's address as screens, logs and `status` show it (a password in it masked)."""
        return masked_url(self.drop)

    def drop_options(self) -> dict:
        """What `pipeline.open_drop` needs for an SFTP drop (ignored by a local one)."""
        return {"key_file": self.sftp_key, "known_hosts": self.sftp_known_hosts, "password": self.sftp_password,
                "timeout": self.sftp_timeout, "retries": self.sftp_retries}

    def import_folder(self, caisse: str) -> str:
        """Where the main server drops `caisse`'s lots, under the drop's root (`import_dir`, `{caisse}` filled)."""
        return self.import_dir.replace("{caisse}", caisse)

    def export_folder(self, caisse: str) -> str:
        """Where `caisse`'s exported lots go, under the drop's root (`export_dir`, `{caisse}` filled)."""
        return self.export_dir.replace("{caisse}", caisse).rstrip("/")

    @property
    def store_path(self) -> Path:
        return self.home / "caisse.duckdb"

    @property
    def integrity_key_path(self) -> Path:
        if self.formation:  # a training home signs with a key of its own, its chains' heads beside it
            return self.home / "integrity.key"
        if os.environ.get("CAISSE_INTEGRITY_KEY"):
            return Path(os.environ["CAISSE_INTEGRITY_KEY"])
        return (Path(self.keys_dir).expanduser() if self.keys_dir else self.home) / "integrity.key"

    def fiscal_words(self) -> dict[str, str]:
        """The settings whose change is an event of the journal (240): how the register syncs, prints, counts its
        days and years, and what people may type. Never a secret."""
        return {"mode": self.mode, "serveur": self.drop_shown, "import_dir": self.import_dir,
                "export_dir": self.export_dir, "imprimante": self.printer, "largeur": str(self.printer_width),
                "ticket_a_chaque_vente": str(self.print_receipts).lower(), "debut_journee": self.debut_journee,
                "debut_exercice": str(self.debut_exercice), "cles": str(self.integrity_key_path.parent),
                "copie_archives": self.archive_copy, "max_quantity": str(self.limits.max_quantity),
                "mouvement_responsable_au_dela": str(self.limits.move_manager_above),
                "reste_cheque_cadeau": self.limits.cheque_cadeau_reste,
                "max_cash": str(self.limits.max_cash), "max_float": str(self.limits.max_float)}

    @property
    def received_dir(self) -> Path:
        return self.home / "echanges" / "recu"

    @property
    def sent_dir(self) -> Path:
        return self.home / "echanges" / "envoye"

    @property
    def logs_dir(self) -> Path:
        return self.home / "echanges" / "journaux"

    @property
    def local_drop_dir(self) -> Path | None:
        """The folder of a `file://` drop (the embedded default), else None."""
        if self.drop.startswith("file://"):
            return Path(self.drop[len("file://"):])
        return None


def load_settings(env: dict | None = None) -> Settings:
    """Read caisse.toml if present, then the environment; raises ConfigError with a sentence."""
    env = os.environ if env is None else env
    config_path = Path(env.get("CAISSE_CONFIG", "caisse.toml"))
    values: dict = {}
    if config_path.exists():
        try:
            values = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            at = re.search(r"line (\d+), column (\d+)", str(e))
            where = f"ligne {at[1]}, colonne {at[2]}" if at else "format TOML"
            raise ConfigError(f"Le fichier de configuration {config_path} est illisible ({where} : ce n'est "
                              "pas du TOML valide ; un texte s'écrit entre guillemets, par exemple mode = \"manual\"). "
                              "Corrigez-le ou supprimez-le.") from None
        except UnicodeDecodeError as e:
            raise ConfigError(f"Le fichier de configuration {config_path} n'est pas en UTF-8 (octet {e.start + 1}) : "
                              "enregistrez-le en UTF-8, puis recommencez.") from None
    elif "CAISSE_CONFIG" in env:
        raise ConfigError(f"Le fichier de configuration {config_path} (CAISSE_CONFIG) n'existe pas.")
    known = {f.name for f in fields(Settings)} - {"formation", "limits"} | LIMIT_KEYS
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"Clés inconnues dans {config_path} : {', '.join(sorted(unknown))} "
                          f"(clés possibles : {', '.join(sorted(known))}).")
    for name in known:
        if f"CAISSE_{name.upper()}" in env:
            values[name] = env[f"CAISSE_{name.upper()}"]
    for name in TEXTS:
        if name in values and not isinstance(values[name], str):
            raise ConfigError(f"Le réglage {name} de {config_path} est un texte : écrivez-le entre guillemets, par "
                              f"exemple {name} = \"{values[name]}\".")
    home = Path(values.get("home") or "data").expanduser().resolve()
    values["home"] = home
    values.setdefault("drop", (home / "serveur_principal").as_uri())
    if values.get("mode", "manual") not in MODES:
        raise ConfigError(f"Mode de synchronisation inconnu « {values['mode']} » (CAISSE_MODE) : "
                          "choisissez manual ou auto.")
    for name, (kind, low, high, words) in BOUNDED.items():
        if name in values:
            typed = values[name]
            try:
                values[name] = kind(typed)
                if not low <= values[name] <= high:
                    raise ValueError(typed)
            except (ValueError, ArithmeticError, TypeError):
                raise ConfigError(f"Le réglage {name} (CAISSE_{name.upper()}) doit être {words}, pas "
                                  f"« {typed} ».") from None
    _check_words(values, config_path)
    if not _clock(str(values.get("debut_journee", "00:00"))):
        raise ConfigError(f"Début de journée « {values['debut_journee']} » (debut_journee) : une heure HH:MM entre "
                          "00:00 et 23:59, par exemple 04:00.")
    try:
        values["debut_exercice"] = int(str(values.get("debut_exercice", 1)).strip())
        if not 1 <= values["debut_exercice"] <= 12:
            raise ValueError
    except ValueError:
        raise ConfigError(f"Premier mois de l'exercice « {values.get('debut_exercice')} » (debut_exercice) : un "
                          "nombre de 1 (janvier) à 12.") from None
    if str(values.get("cheque_cadeau_reste", "avoir")).strip().lower() not in ("avoir", "perdu"):
        raise ConfigError(f"Reste d'un chèque cadeau « {values['cheque_cadeau_reste']} » (cheque_cadeau_reste) : "
                          "avoir (le reste devient un avoir) ou perdu.")
    values["cheque_cadeau_reste"] = str(values.get("cheque_cadeau_reste", "avoir")).strip().lower()
    limits = Limits(**{name: values.pop(name) for name in LIMIT_KEYS if name in values})
    return Settings(**values, limits=limits)


def _check_words(values: dict, config_path: Path) -> None:
    """The settings written as text, checked at the start rather than when first used (a printer address that
    made a closing say « Erreur » after it was recorded, an export folder climbing out of the drop, a relative
    copy folder that depends on where the command was started)."""
    drop = values["drop"]
    if "://" in drop and not re.match(r"(file|sftp)://", drop):
        raise ConfigError(f"Adresse du serveur principal « {masked_url(drop)} » (CAISSE_DROP) non prise en charge : "
                          "file:///chemin ou sftp://utilisateur@hôte:port/chemin.")
    for name in ("import_dir", "export_dir"):
        folder = values.get(name, "")
        parts = [p for p in folder.replace("{caisse}", "C01").split("/") if p not in ("", ".")]
        if any(p == ".." or not FOLDER_PART.fullmatch(p) for p in parts):
            raise ConfigError(f"Dossier « {folder} » ({name}, CAISSE_{name.upper()}) : un dossier sous la racine du "
                              "serveur principal (« {caisse} » y devient le code de la caisse), sans caractère de "
                              f"contrôle ni « \\ », sans « .. », par exemple {name[:6]}/{{caisse}}.")
    printer = values.get("printer", "preview")
    if printer not in ("", "preview") and not any(p.fullmatch(printer) for p in PRINTERS):
        raise ConfigError(f"Imprimante « {printer} » (CAISSE_PRINTER) mal écrite : preview (aucune), "
                          "network://hôte:9100, usb://VID:PID en hexadécimal (usb://04b8:0202), serial:///dev/ttyS0 "
                          "ou file:///dev/usb/lp0.")
    for name in ("keys_dir", "archive_copy", "tls_cert", "tls_key", "sftp_key", "sftp_known_hosts"):
        if values.get(name) and not Path(values[name]).expanduser().is_absolute():
            raise ConfigError(f"Le chemin « {values[name]} » ({name}, CAISSE_{name.upper()}) doit être complet, "
                              "depuis la racine (par exemple /media/cle/caisse) : un chemin relatif changerait selon "
                              "le dossier d'où la caisse est lancée.")
    if bool(values.get("tls_cert")) != bool(values.get("tls_key")):
        raise ConfigError("HTTPS demande le certificat (tls_cert) et sa clé (tls_key) : réglez les deux, ou aucun.")


def _clock(text: str) -> bool:
    hours, _, minutes = text.strip().partition(":")
    return (len(hours) == 2 and len(minutes) == 2 and ascii_digits(hours) and ascii_digits(minutes) and int(hours) < 24
            and int(minutes) < 60)


def _positive(value) -> Decimal:
    number = Decimal(str(value).strip().replace(",", "."))
    if not number.is_finite() or number <= 0 or "e" in str(value).lower():
        raise ValueError(value)
    return number


def _seconds(value) -> float:
    """A positive finite number (seconds, megabytes): NaN, infinity and 0 are refused."""
    number = float(str(value).strip().replace(",", "."))
    if not math.isfinite(number) or number <= 0:
        raise ValueError(value)
    return number


def _count(value) -> int:
    number = int(str(value).strip())
    if number < 0 or number > 10_000:
        raise ValueError(value)
    return number


def _paper_width(value) -> int:
    number = _count(value)
    if number not in (42, 48):  # the two widths of a receipt printer's paper (80 mm, in the two fonts)
        raise ValueError(value)
    return number


def _flag(value) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("1", "oui", "true", "yes", "on"):
        return True
    if str(value).strip().lower() in ("0", "non", "false", "no", "off", ""):
        return False
    raise ValueError(value)


POSITIVE = "un nombre positif"
BOUNDED = {  # setting: (how it is read, lowest, highest, the words of the sentence that refuses it)
    "max_file_mb": (_seconds, 0, 1_000_000, "un nombre positif de mégaoctets, 1000000 au plus"),
    "lock_timeout": (_seconds, 0.1, 3600, "un nombre de secondes entre 0,1 et 3600"),
    "sftp_timeout": (_seconds, 0.1, 3600, "un nombre de secondes entre 0,1 et 3600"),
    "sftp_retries": (_count, 0, 20, "un nombre entier d'essais de 0 à 20"),
    "max_unknown_columns": (_count, 0, 1000, "un nombre entier de colonnes de 0 à 1000"),
    "printer_width": (_paper_width, 42, 48, "42 ou 48 colonnes"),
    "print_receipts": (_flag, False, True, "oui ou non"),
    "merge_lines": (_flag, False, True, "oui ou non"),
    "idle_minutes": (_count, 1, 1440, "un nombre entier de minutes de 1 à 1440 (un jour)"),
    "max_quantity": (_positive, 0, 1_000_000, POSITIVE),
    "largest_note": (_positive, 0, 1_000_000, POSITIVE),
    "max_cash_factor": (_positive, 0, 1_000_000, POSITIVE),
    "max_cash": (_positive, 0, 100_000_000, POSITIVE),
    "max_float": (_positive, 0, 100_000_000, POSITIVE),
    "move_manager_above": (_positive, 0, 100_000_000, POSITIVE),
}
