"""The command line's arguments: argparse speaking French, and a type for each kind of value, so that every bad
argument ends in one French sentence and exit 2 before anything is read or written."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from caisse.common.errors import BadArgument, CaisseError, ConfigError
from caisse.common.money import parse_amount, parse_count, parse_quantity
from caisse.fiscal.periods import parse_period
from caisse.rules.discounts import typed_discount
from caisse.rules.drafts import LineRequest
from caisse.rules.payments import PaymentRequest
from caisse.rules.returns import REFUNDS
from pipeline.names import IDENTIFIER_WORDS, ascii_digits, is_identifier

FRENCH = {
    "usage: ": "Utilisation : ",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "positional arguments": "arguments",
    "options": "options",
    "show this help message and exit": "afficher cette aide et quitter",
    "unrecognized arguments: %s": "arguments inconnus : %s",
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "ignored explicit argument %r": "valeur %r inattendue",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "one of the arguments %s is required": "l'un des arguments %s est obligatoire",
    "expected one argument": "une valeur est attendue",
    "expected at most one argument": "une valeur au plus est attendue",
    "expected at least one argument": "au moins une valeur est attendue",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut désigner %(matches)s",
    "unexpected option string: %s": "option inattendue : %s",
    "invalid %(type)s value: %(value)r": "valeur %(value)r incorrecte",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix %(value)r inconnu (choix possibles : %(choices)s)",
}
PLURALS = {"expected %s argument": ("%s valeur attendue", "%s valeurs attendues")}


def _french(message: str) -> str:
    return FRENCH.get(message, message)


def _french_plural(singular: str, plural: str, n: int) -> str:
    forms = PLURALS.get(singular)
    return (forms[0] if n <= 1 else forms[1]) if forms else (singular if n == 1 else plural)


argparse._ = _french  # argparse looks these names up when it speaks: its messages come out in French
argparse.ngettext = _french_plural


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose refusals are one French sentence (exit 2), its usage line after it."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"Erreur : {message[:1].upper()}{message[1:]}.\n")


def whole(what: str, low: int, high: int):
    """A type for a whole number from `low` to `high`, refused naming `what` ("le numéro du Z")."""
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            top = f"{high:,}".replace(",", " ")
            raise argparse.ArgumentTypeError(f"{what} doit être un nombre entier de {low} à {top}, pas « {text} »")
        return value
    return parse


def identifier(what: str):
    """A type for a code or a login (the identifier rule: they end up in file names)."""
    def parse(text: str) -> str:
        value = text.strip()
        if not is_identifier(value):
            raise argparse.ArgumentTypeError(f"{what} « {text[:64]} » est refusé : il doit compter {IDENTIFIER_WORDS}")
        return value
    return parse


# The values of repeated options, read after parsing (their refusals are sentences with exit 2 too).

ARTICLE_OPTIONS = {"remise": "10% ou 5,00", "prix": "un prix forcé, 39,90", "motif": "le motif de la remise",
                   "vendeur": "l'identifiant du vendeur de la ligne"}


def article_request(text: str) -> LineRequest:
    """`CODE[xQTE][:remise=10%][:prix=39,90][:motif=SOLDES][:vendeur=LOGIN]`."""
    head, *options = text.split(":")
    code, sep, qty = head.rpartition("x") if "x" in head[1:] else (head, "", "")
    if sep and ascii_digits(qty.replace(",", ".").replace(".", "", 1)):
        request = LineRequest(code, parse_quantity(qty))
    else:
        request = LineRequest(head)
    values = {}
    for option in options:
        name, sep, value = option.partition("=")
        if not sep or name.strip().lower() not in ARTICLE_OPTIONS or not value.strip():
            raise BadArgument(f"Article « {text} » mal écrit : après le code, des options NOM=VALEUR séparées par "
                              "« : », parmi " + ", ".join(f"{k} ({v})" for k, v in ARTICLE_OPTIONS.items())
                              + " ; par exemple ART00001:remise=10%:motif=SOLDES.")
        values[name.strip().lower()] = value.strip()
    if "remise" in values:
        euros, pct = typed_discount(values["remise"])
        request = replace(request, remise=euros or Decimal(0), taux_remise=pct)
    if "prix" in values:
        request = replace(request, prix_force=parse_amount(values["prix"], "Le prix forcé"))
    return replace(request, motif=values.get("motif"), vendeur=values.get("vendeur"))

def payment_request(text: str) -> PaymentRequest:
    code, sep, rest = text.partition("=")
    if not sep:
        raise ConfigError(f"Paiement « {text} » mal écrit : attendu CODE=MONTANT[:NUMERO], par exemple ESP=20,00.")
    amount, _, number = rest.partition(":")
    return PaymentRequest(code.strip().upper(), parse_amount(amount, f"Le montant payé en {code}"), number or None)

def return_line(item: str) -> tuple[int, object]:
    number, sep, quantity = item.partition("=")
    if not ascii_digits(number.strip()):
        raise BadArgument(f"Ligne « {item} » mal écrite : attendu NUMERO_DE_LIGNE ou NUMERO=QUANTITE, par exemple 2=1.")
    return int(number), parse_quantity(quantity) if sep else parse_quantity("1")

def drawer_count(items: list[str]) -> dict[Decimal, int]:
    count = {}
    for item in items:
        value, sep, number = item.partition("=")
        if not sep or not number.strip():
            raise ConfigError(f"Comptage « {item} » mal écrit : attendu VALEUR=NOMBRE, par exemple 20=3.")
        coupure = parse_amount(value, "La coupure")
        count[coupure] = count.get(coupure, 0) + parse_count(number, coupure)
    return count


def period_text(text: str) -> str:
    """A month (AAAA-MM) or a fiscal year (AAAA)."""
    try:
        return parse_period(text)[1]
    except CaisseError as e:
        raise argparse.ArgumentTypeError(str(e)[:1].lower() + str(e)[1:].rstrip(".")) from None


CODE = identifier("le code de caisse")
LOGIN = identifier("l'identifiant")


def _who(p) -> None:
    p.add_argument("--caisse", required=True, type=CODE, metavar="CODE", help="la caisse, par exemple C01")
    p.add_argument("--user", required=True, type=LOGIN, metavar="IDENTIFIANT",
                   help="identifiant (mot de passe : CAISSE_PASSWORD ou saisie)")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="caisse", description="Serveur caisse : import, ouverture, vente, "
                                     "fermeture et export des journées de caisse.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")
    p = sub.add_parser("init", help="créer ou mettre à jour la base et la clé d'intégrité")
    p.add_argument("--demo", action="store_true", help="déposer la boutique de démonstration dans le dossier local")
    p = sub.add_parser("status", help="état des caisses et derniers échanges")
    p.add_argument("--json", action="store_true", help="la même chose en JSON, pour un script")
    p.add_argument("--runs", type=whole("le nombre d'échanges listés", 1, 1000), default=10, metavar="N",
                   help="nombre d'échanges listés (1 à 1000)")
    p = sub.add_parser("import", help="importer les données du serveur principal pour une caisse")
    _who(p)
    p.add_argument("--reapply", action="store_true",
                   help="appliquer de nouveau un lot déjà appliqué (hotline, par un responsable : enregistré)")
    p.add_argument("--apercu", action="store_true",
                   help="lire et vérifier le lot sans l'appliquer : les prix qu'il change (hausses, baisses, "
                        "nouveaux) ; le lot reste sur le serveur principal")
    p = sub.add_parser("open", help="ouvrir une journée (mode auto : importe d'abord)")
    _who(p)
    p.add_argument("--fond", required=True, help="fond de caisse, par exemple 150,00")
    p = sub.add_parser("sell", help="encaisser un ticket complet")
    _who(p)
    p.add_argument("--article", action="append", required=True, metavar="CODE[xQTE][:OPTION=VALEUR...]",
                   help="article par code, EAN (celui d'une taille et couleur pour un modèle décliné) ou identifiant, "
                        "quantité après x, puis des options : remise=10%% ou remise=5,00, prix=39,90 (prix forcé), "
                        "motif=SOLDES, vendeur=IDENTIFIANT (répétable)")
    p.add_argument("--pay", action="append", required=True, metavar="CODE=MONTANT[:NUMERO]",
                   help="règlement, par exemple ESP=20,00 ou AVOIR=10,00:AV000001 (répétable)")
    p.add_argument("--remise-ticket", metavar="REMISE", help="remise sur tout le ticket : 5%% ou 5,00 (avec --motif)")
    p.add_argument("--motif", metavar="MOTIF", help="motif de la remise sur le ticket, par exemple SOLDES")
    p.add_argument("--responsable", type=LOGIN, metavar="IDENTIFIANT",
                   help="le responsable qui autorise une remise au-delà des plafonds ou un prix forcé (son mot de "
                        "passe : CAISSE_RESPONSABLE_PASSWORD ou saisie)")
    p = sub.add_parser("void", help="annuler un ticket validé de la journée (avec un motif)")
    _who(p)
    p.add_argument("--ticket", type=whole("le numéro du ticket", 1, 10**9), required=True, metavar="NUMERO",
                   help="numéro du ticket de vente à annuler")
    p.add_argument("--reason", required=True, metavar="MOTIF", help="motif de l'annulation")
    p = sub.add_parser("return", help="reprendre des articles : d'un ticket de vente, ou sans ticket")
    _who(p)
    p.add_argument("--ticket", metavar="NUMERO", help="numéro du ticket de vente, ou son code-barres (C01-T000012)")
    p.add_argument("--line", action="append", default=[], metavar="NUMERO[=QTE]",
                   help="ligne du ticket à reprendre et sa quantité (répétable ; toute la ligne par défaut)")
    p.add_argument("--article", action="append", default=[], metavar="CODE[xQTE]",
                   help="sans ticket : article repris (droit CAISSE_RETOUR_LIBRE, répétable)")
    p.add_argument("--refund", required=True, choices=list(REFUNDS), help="ESP, ORIGINE (moyen de la vente) ou AVOIR")
    p.add_argument("--reason", required=True, metavar="MOTIF", help="motif du retour")
    p = sub.add_parser("move", help="entrée, sortie ou remise d'espèces (avec un motif)")
    _who(p)
    p.add_argument("--type", required=True, choices=["ENTREE", "SORTIE", "REMISE"],
                   help="ENTREE (apport), SORTIE (dépense) ou REMISE (en banque)")
    p.add_argument("--amount", required=True, metavar="MONTANT", help="montant, par exemple 20,00")
    p.add_argument("--reason", required=True, metavar="MOTIF", help="motif du mouvement")
    p.add_argument("--responsable", type=LOGIN, metavar="IDENTIFIANT",
                   help="le responsable qui autorise un mouvement au-delà du seuil move_manager_above (son mot de "
                        "passe : CAISSE_RESPONSABLE_PASSWORD ou saisie) ; inutile si --user est responsable")
    p = sub.add_parser("close", help="fermer la journée sur un comptage (mode auto : exporte ensuite)")
    _who(p)
    p.add_argument("--count", action="append", default=[], metavar="VALEUR=NOMBRE",
                   help="comptage par coupure, par exemple 20=3 0,50=4 (répétable)")
    p.add_argument("--especes", metavar="MONTANT", help="ou le montant des espèces comptées, sans détail")
    p.add_argument("--force", action="store_true", help="déconnecter les vendeurs encore connectés")
    p.add_argument("--accept-difference", action="store_true", help="valider un écart hors tolérance")
    p.add_argument("--comment", metavar="TEXTE", help="commentaire de l'écart")
    p = sub.add_parser("export", help="exporter les journées fermées vers le serveur principal")
    _who(p)
    p = sub.add_parser("verify", help="vérifier toutes les chaînes d'intégrité et leurs témoins extérieurs")
    p.add_argument("--local", action="store_true", help="sans relire le dernier lot sur le serveur principal")
    p = sub.add_parser("key", help="la clé d'intégrité")
    p.add_argument("action", choices=["rotate"], help="rotate : signer désormais avec une nouvelle clé")
    p.add_argument("--user", required=True, type=LOGIN, metavar="IDENTIFIANT",
                   help="identifiant d'un responsable (mot de passe : "
                   "CAISSE_PASSWORD)")
    p = sub.add_parser("report", help="le ticket Z d'une journée fermée, le rapport X de la journée en cours, ou "
                       "une clôture mensuelle ou annuelle")
    p.add_argument("kind", choices=["z", "x", "month", "year"], metavar="{z,x,month,year}",
                   help="z : une journée fermée ; x : la journée en cours ; month, year : une clôture")
    p.add_argument("--periode", type=period_text, metavar="PERIODE",
                   help="avec month : le mois (2026-11) ; avec year : l'exercice (2026)")
    p.add_argument("--caisse", required=True, type=CODE, metavar="CODE", help="la caisse, par exemple C01")
    p.add_argument("--numero", type=whole("le numéro du Z", 1, 10**9), metavar="NUMERO",
                   help="numéro du Z (par défaut : le dernier)")
    p.add_argument("--print", action="store_true", help="imprimer (un Z réimprimé porte DUPLICATA et son numéro)")
    p.add_argument("--user", type=LOGIN, metavar="IDENTIFIANT",
                   help="qui imprime (obligatoire avec --print ; mot de passe : "
                   "CAISSE_PASSWORD)")
    p = sub.add_parser("archive", help="archiver une période clôturée (fait aussi après chaque clôture mensuelle)")
    p.add_argument("--caisse", required=True, type=CODE, metavar="CODE", help="la caisse, par exemple C01")
    p.add_argument("--periode", required=True, type=period_text, metavar="PERIODE",
                   help="le mois (2026-11) ou l'exercice (2026)")
    p.add_argument("--user", required=True, type=LOGIN, metavar="IDENTIFIANT",
                   help="qui archive (droit de fermer la caisse ; mot de passe : CAISSE_PASSWORD)")
    p = sub.add_parser("verify-archive", help="vérifier des archives (signature, schéma, chaînes, totaux)")
    p.add_argument("archives", nargs="+", type=Path, metavar="FICHIER",
                   help="archives/C01/C01-2026-11.xml... (plusieurs : dans l'ordre, les chaînes se suivent)")
    p = sub.add_parser("purge", help="retirer de la base les tickets des mois archivés (clôtures et totaux gardés)")
    p.add_argument("--avant", required=True, type=period_text, metavar="AAAA-MM",
                   help="les mois avant celui-ci, chacun avec une archive vérifiée")
    p.add_argument("--user", required=True, type=LOGIN, metavar="IDENTIFIANT",
                   help="un responsable (droit back-office ; mot de passe : CAISSE_PASSWORD)")
    p = sub.add_parser("training", help="passer une caisse en mode formation, ou revenir au mode réel")
    p.add_argument("action", choices=["on", "off"], help="on : mode formation ; off : mode réel")
    p.add_argument("--caisse", required=True, type=CODE, metavar="CODE", help="la caisse, par exemple C01")
    p.add_argument("--user", required=True, type=LOGIN, metavar="IDENTIFIANT",
                   help="un responsable (droit back-office ; mot de passe : CAISSE_PASSWORD)")
    p = sub.add_parser("print-test", help="imprimer un ticket de test (accents, euro, largeur)")
    p.add_argument("--user", required=True, type=LOGIN, metavar="IDENTIFIANT",
                   help="qui imprime (droit back-office ; mot de passe : "
                   "CAISSE_PASSWORD)")
    p = sub.add_parser("log", help="le journal complet d'un échange (identifiant ou lot)")
    p.add_argument("lot", metavar="ECHANGE",
                   help="identifiant de l'échange ou lot (C01-Z000001-Z000001)")
    p = sub.add_parser("docs", help="régénérer la référence des tables (docs/tables.md)")
    p.add_argument("--output", default="docs/tables.md", metavar="FICHIER",
                   help="où l'écrire (docs/tables.md par défaut)")
    p = sub.add_parser("serve", help="lancer l'application web")
    p.add_argument("--port", type=whole("le port", 1, 65535), default=8501,
                   help="port d'écoute (8501 par défaut)")
    p.add_argument("--address", metavar="ADRESSE",
                   help="adresse d'écoute (127.0.0.1 par défaut ; 0.0.0.0 : le réseau du magasin)")
    return parser
