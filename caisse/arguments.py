"""The command line's arguments: argparse speaking French, and a type for each kind of value, so that every bad
argument ends in one French sentence and exit 2 before anything is read or written."""

from __future__ import annotations

import argparse
import sys

from pipeline.names import is_identifier

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
            raise argparse.ArgumentTypeError(f"{what} « {text[:64]} » est refusé : 1 à 64 lettres sans accent, "
                                             "chiffres, « _ », « - », « . » ou « @ », commençant par une lettre ou un "
                                             "chiffre")
        return value
    return parse

