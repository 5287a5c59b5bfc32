"""Money: Decimal only, two places, rounded half up; amounts typed by people read liberally."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from caisse.common.errors import CaisseError
from caisse.common.words import plural  # noqa: F401  (re-exported: messages count with it)
from pipeline.names import ascii_digits


class BadAmount(CaisseError):
    """An amount or a quantity typed by a person that is not one (exit 2 on the command line)."""

    exit_code = 2

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(value) -> Decimal:
    """Round to the cent, half up (the register's rounding)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(text, what: str = "Le montant", allow_negative: bool = False) -> Decimal:
    """`150`, `150.00`, `150,5` -> Decimal('150.50'); refuses anything else with a sentence."""
    raw = str(text).strip().replace(" ", "").replace("\u00a0", "").replace("\u202f", "").replace(",", ".")
    raw = raw.removesuffix("€")
    try:
        if any(c not in "0123456789.-+" for c in raw):  # never 1e6, inf or nan
            raise InvalidOperation
        value = Decimal(raw)
    except InvalidOperation:
        raise BadAmount(f"{what} « {text} » n'est pas un montant : écrivez par exemple 150,00.") from None
    if not value.is_finite() or value != value.quantize(CENT, rounding=ROUND_HALF_UP):
        raise BadAmount(f"{what} « {text} » doit avoir au plus deux décimales.")
    if value < 0 and not allow_negative:
        raise BadAmount(f"{what} « {text} » ne peut pas être négatif.")
    if abs(value) >= Decimal("1e12"):
        raise BadAmount(f"{what} « {text} » est trop grand.")
    return cents(value)


def parse_quantity(text) -> Decimal:
    raw = str(text).strip().replace(",", ".")
    try:
        if not raw or any(c not in "0123456789." for c in raw):  # never 1e3, -2, inf
            raise InvalidOperation
        value = Decimal(raw)
    except InvalidOperation:
        raise BadAmount(f"La quantité « {text} » n'est pas un nombre positif : écrivez par exemple 2 ou 1,5.") from None
    if value >= 10**9:
        raise BadAmount(f"La quantité « {text} » est bien trop grande : vérifiez ce qui a été tapé ou scanné.")
    if value <= 0 or value != value.quantize(Decimal("0.001")):
        raise BadAmount(f"La quantité « {text} » doit être positive, avec au plus trois décimales (par exemple 1,5).")
    return value.quantize(Decimal("0.001"))


def eur(value: Decimal | None) -> str:
    """`1234.5` -> `1 234,50 €`, as the manual writes amounts."""
    if value is None:
        return ""
    sign = "-" if value < 0 else ""
    units, _, decimals = f"{abs(cents(value)):.2f}".partition(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}{' '.join(groups)},{decimals} €"


def qty(value: Decimal) -> str:
    """`2.000` -> `2`, `1.500` -> `1,5`: a quantity as a seller writes it."""
    return f"{value.normalize():f}".replace(".", ",")


def parse_count(text, value: Decimal | None = None) -> int:
    """How many coins or notes were counted: a whole number, 0 when left empty; `1,5` or `-3` is a sentence."""
    raw = str(text if text is not None else "").strip()
    if not raw:
        return 0
    if not ascii_digits(raw) or len(raw) > 6:
        what = f"de {eur(value)}" if value is not None else "de pièces ou de billets"
        raise BadAmount(f"Le nombre {what} « {text} » doit être un nombre entier, positif ou nul (par exemple 3).")
    return int(raw)
