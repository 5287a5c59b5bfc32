"""The `caisse` commands of the fiscal periods (FISCAL.md R12-R26): a closing by period shown or printed, an
archive made or verified, a purge after archive, training mode."""

from __future__ import annotations

from caisse.cli.common import login as _login
from caisse.cli.common import print_status as _printed
from caisse.common.errors import BadArgument, CaisseError
from caisse.common.money import plural
from caisse.fiscal import periods
from caisse.fiscal.archive import public_keys
from caisse.paper.printing import printer_words
from caisse.services import training
from caisse.services.home import open_store
from caisse.services.workflow import archive_period, period_document, print_period


def report_period(args, settings, store) -> int:
    kind = periods.MONTH if args.kind == "month" else periods.YEAR
    if not args.periode or periods.parse_period(args.periode)[0] != kind:
        wanted = "le mois avec --periode 2026-11" if kind == periods.MONTH else "l'exercice avec --periode 2026"
        raise BadArgument(f"Indiquez {wanted}.")
    if not args.print:
        print("\n".join(period_document(store, settings, args.caisse, kind, args.periode).lines))
        return 0
    if not args.user:
        raise BadArgument("Imprimer une clôture demande l'identifiant de celui qui imprime (--user LOGIN).")
    store, user, _ = _login(args, settings)
    printed = print_period(store, settings, args.caisse, kind, args.periode, user)
    print(printed.text_path.read_text(encoding="utf-8"), end="")
    return _printed(printed, f"Imprimé ({printer_words(settings.printer)})")


def cmd_archive(args, settings) -> int:
    store, user, _ = _login(args, settings)
    made = archive_period(store, settings, args.caisse, args.periode, user)
    said = "écrite" if made.made else "déjà faite, identique"
    size = f"{made.taille:,}".replace(",", " ")
    print(f"Archive {made.path} {said} ({size} octets, SHA-256 {made.sha256[:16]}…), signature "
          f"{made.signature_path.name} (clé publique {made.cle_publique}).")
    return 0


def cmd_verify_archive(args, settings) -> int:
    """The standalone verifier, with the public keys the store knows and the archive records it holds."""
    from caisse.fiscal.purge import standalone_verifier
    verifier = standalone_verifier()
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
            if path.name in recorded and verifier.sha256_of(path)[0] != recorded[path.name]:
                raise verifier.Broken("le fichier n'est pas celui que la base a enregistré (SHA-256 différent)")
            said, heads = verifier.verify(path, keys, None, heads)
        except verifier.Broken as e:
            print(f"ROMPUE : {e}.")
            return 1
        for sentence in said + (["Enregistrée dans la base : même SHA-256"] if path.name in recorded else []):
            print(f"  {sentence}")
        print("  Intacte.")
    return 0


def cmd_purge(args, settings) -> int:
    from caisse.services.archives import purge_months
    store, user, _ = _login(args, settings)
    done = purge_months(store, settings.home, args.avant, user, copy=settings.archive_copy)
    if not done:
        print(f"Rien à purger avant {args.avant} : aucun mois archivé et pas encore purgé.")
    for p in done:
        print(f"Caisse {p.caisse}, {p.periode} : {plural(p.tickets, 'ticket')} retirés de la base ; l'archive "
              f"{p.archive} les garde, clôtures et totaux restent dans la base.")
    return 0


def cmd_training(args, settings) -> int:
    store, user, _ = _login(args, settings)
    print(training.switch(store, settings, args.caisse, user, args.action == "on"))
    return 0
