"""The `caisse` commands of integrity and archives (FISCAL.md R09-R24): verify the chains, renew the key, make or
verify an archive, purge after archive."""

from __future__ import annotations

import sys

from caisse.cli.common import login as _login
from caisse.common.errors import CaisseError
from caisse.common.money import plural
from caisse.fiscal.archive import public_keys
from caisse.fiscal.purge import ArchiveBroken, verify_archive
from caisse.services.archives import purge_months
from caisse.services.home import open_store, rotate_integrity_key
from caisse.services.verification import run_verify
from caisse.services.workflow import archive_period


def cmd_archive(args, settings) -> int:
    store, user, _ = _login(args, settings)
    made = archive_period(store, settings, args.caisse, args.periode, user)
    said = "écrite" if made.made else "déjà faite, identique"
    size = f"{made.taille:,}".replace(",", " ")
    print(f"Archive {made.path} {said} ({size} octets, SHA-256 {made.sha256[:16]}…), signature "
          f"{made.signature_path.name} (clé publique {made.cle_publique}).")
    return 0


def cmd_verify_archive(args, settings) -> int:
    """The one archive check, with the public keys the store knows and the archive records it holds."""
    keys, recorded = [], {}
    if settings.store_path.exists():
        with open_store(settings).connect() as con:
            keys = public_keys(con)
            recorded = dict(con.execute("SELECT split_part(fichier, '/', -1), sha256 FROM archive").fetchall())
    heads: dict = {}
    for path in args.archives:
        if not path.is_file():
            raise CaisseError(f"L'archive {path} est introuvable.")
        print(f"Archive {path.name}")
        try:
            said, heads = verify_archive(path, keys, recorded.get(path.name), heads)
        except ArchiveBroken as e:
            print(f"ROMPUE : {e.reason}.")
            return 1
        for sentence in said:
            print(f"  {sentence}")
        print("  Intacte.")
    return 0


def cmd_purge(args, settings) -> int:
    store, user, _ = _login(args, settings)
    done = purge_months(store, settings.home, args.avant, user, copy=settings.archive_copy)
    if not done:
        print(f"Rien à purger avant {args.avant} : aucun mois archivé et pas encore purgé.")
    for p in done:
        print(f"Caisse {p.caisse}, {p.periode} : {plural(p.tickets, 'ticket')} retirés de la base ; l'archive "
              f"{p.archive} les garde, clôtures et totaux restent dans la base.")
    return 0


def cmd_verify(args, settings) -> int:
    result = run_verify(open_store(settings), settings, use_drop=not args.local)
    for note in result.notes:
        print(f"Remarque : {note}", file=sys.stderr)
    if result.broken:
        for line in result.broken:
            print(f"Chaîne rompue : {line}", file=sys.stderr)
        print(f"{plural(len(result.broken), 'rupture')} : l'événement est inscrit au journal (code 90).",
              file=sys.stderr)
        return 1
    print("Intégrité vérifiée : toutes les chaînes (tickets, clôtures, mouvements, duplicatas, événements) sont "
          "intactes et concordent avec les tickets archivés, les têtes de chaîne et le dernier lot envoyé.")
    return 0


def cmd_key(args, settings) -> int:
    store, user, _ = _login(args, settings)
    old, new = rotate_integrity_key(store, user)
    print(f"Nouvelle clé d'intégrité {new} (la précédente, {old}, reste dans {settings.integrity_key_path} pour "
          "vérifier les enregistrements qu'elle a signés). Sauvegardez le fichier de clés hors du serveur.")
    return 0
