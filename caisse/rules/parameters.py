"""The parameters the main server sends in `tr_parametre` (cle, valeur): each read by its meaning, checked
when a lot is imported (so that no imported value can make a later step crash), and read typed.

An unknown key is kept and shown, never used. A missing or blank value gives its default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import duckdb

from caisse.common.errors import CaisseError
from caisse.common.money import cents, eur

EURO_DENOMINATIONS = [Decimal(v) for v in ("0.01", "0.02", "0.05", "0.10", "0.20", "0.50", "1.00", "2.00", "5.00",
                                           "10.00", "20.00", "50.00", "100.00", "200.00", "500.00")]
DEFAULT_COUPURES = "0.01;0.02;0.05;0.10;0.20;0.50;1;2;5;10;20;50;100;200;500"
MAX_TOLERANCE = Decimal("1000.00")
MAX_TEXT = 200
TRUE_WORDS = {"1", "oui", "true", "vrai", "o", "yes"}
FALSE_WORDS = {"0", "non", "false", "faux", "n", "no"}


class BadParameter(CaisseError):
    def __init__(self, key: str, value: str, expected: str):
        self.key, self.value, self.expected = key, value, expected
        super().__init__(f"Le paramètre {key} « {value} » de tr_parametre est refusé : attendu {expected}. "
                         "Corrigez-le sur le serveur principal puis relancez l'import ; rien n'a été chargé.")


def _amount(text: str) -> Decimal:
    value = Decimal(text.replace(",", ".").replace(" ", ""))
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ValueError(text)
    return cents(value)


def _coupures(text: str) -> list[Decimal]:
    values = sorted({_amount(v.strip()) for v in text.split(";") if v.strip()})
    if not values or any(v not in EURO_DENOMINATIONS for v in values):
        raise ValueError(text)
    return values


def _tolerance(text: str) -> Decimal:
    value = _amount(text)
    if not Decimal(0) <= value <= MAX_TOLERANCE:
        raise ValueError(text)
    return value


def _flag(text: str) -> bool:
    word = text.strip().lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        raise ValueError(text)
    return word in TRUE_WORDS


def _currency(text: str) -> str:
    if text.strip().upper() != "EUR":
        raise ValueError(text)
    return "EUR"


def _text(text: str) -> str:
    if len(text) > MAX_TEXT or any(ord(c) < 32 for c in text):
        raise ValueError(text)
    return text


@dataclass(frozen=True)
class Spec:
    default: str
    parse: Callable[[str], object]
    expected: str


SPECS: dict[str, Spec] = {
    "devise": Spec("EUR", _currency, "EUR (la caisse compte en euros)"),
    "coupures": Spec(DEFAULT_COUPURES, _coupures, "des coupures en euros séparées par « ; », parmi "
                     + ", ".join(eur(v) for v in EURO_DENOMINATIONS)),
    "tolerance_ecart": Spec("0.00", _tolerance, f"un montant entre 0,00 € et {eur(MAX_TOLERANCE)}"),
    "comptage_aveugle": Spec("non", _flag, "oui ou non"),
    "ticket_entete": Spec("", _text, f"un texte d'une ligne, {MAX_TEXT} caractères au plus"),
    "ticket_pied": Spec("", _text, f"un texte d'une ligne, {MAX_TEXT} caractères au plus"),
}


# The discounts' ceilings (caisse.rules.discounts), for every group or, after a dot, for one group's id.
CEILING_KEYS = {"remise_max_ligne_pct": Decimal("20"), "remise_max_ligne_eur": Decimal("50.00"),
                "remise_max_ticket_pct": Decimal("10"), "remise_max_ticket_eur": Decimal("50.00")}


def ceiling_key(key: str) -> str | None:
    """The ceiling a key sets (« remise_max_ligne_pct.2 » -> « remise_max_ligne_pct »), or None."""
    base, _, group = key.partition(".")
    return base if base in CEILING_KEYS and (not group or group.isdigit()) else None


def check_ceiling(key: str, text: str) -> Decimal:
    """A ceiling's value: a percentage between 0 and 100, or an amount in euros; ValueError otherwise."""
    value = Decimal(text.strip().replace(",", ".").replace("%", "").replace("€", "").strip())
    if not value.is_finite() or value < 0 or (key.endswith("_pct") and value > 100) or value > Decimal("100000"):
        raise ValueError(text)
    return value


@dataclass(frozen=True)
class Parameters:
    devise: str
    coupures: list[Decimal]
    tolerance_ecart: Decimal
    comptage_aveugle: bool
    ticket_entete: str
    ticket_pied: str


def _value(key: str, raw) -> object:
    spec = SPECS[key]
    text = str(raw).strip() if raw is not None else ""
    try:
        return spec.parse(text or spec.default)
    except (ValueError, InvalidOperation, ArithmeticError):
        raise BadParameter(key, text, spec.expected) from None


def check(rows: dict[str, str | None]) -> None:
    """Refuse a lot whose tr_parametre holds a value a later step could not use (BadParameter)."""
    for key, raw in rows.items():
        if key in SPECS:
            _value(key, raw)
        elif (base := ceiling_key(key)) and str(raw or "").strip():
            try:
                check_ceiling(base, str(raw))
            except (ValueError, InvalidOperation):
                raise BadParameter(key, str(raw).strip(), "un pourcentage de 0 à 100" if base.endswith("_pct") else
                                   "un montant en euros positif") from None


def parse(rows: dict[str, str | None]) -> Parameters:
    return Parameters(**{key: _value(key, rows.get(key)) for key in SPECS})


def read(con: duckdb.DuckDBPyConnection) -> Parameters:
    """The store's parameters, typed, in one query."""
    return parse(dict(con.execute("SELECT cle, valeur FROM tr_parametre").fetchall()))


WORDS = {"devise": "Devise", "coupures": "Coupures comptées à la fermeture", "tolerance_ecart": "Tolérance d'écart",
         "comptage_aveugle": "Comptage à l'aveugle", "ticket_entete": "En-tête des tickets",
         "ticket_pied": "Pied des tickets"}


def shown(rows: dict[str, str | None]) -> list[tuple[str, str]]:
    """The parameters as a manager reads them: a label and a French value for the known ones (amounts in euros,
    oui/non), the others as the main server sent them."""
    typed = parse(rows)
    out = [(WORDS["devise"], typed.devise), (WORDS["coupures"], ", ".join(eur(v) for v in typed.coupures)),
           (WORDS["tolerance_ecart"], eur(typed.tolerance_ecart)),
           (WORDS["comptage_aveugle"], "oui" if typed.comptage_aveugle else "non"),
           (WORDS["ticket_entete"], typed.ticket_entete or "—"), (WORDS["ticket_pied"], typed.ticket_pied or "—")]
    return out + [(_words(key), "—" if value is None else value) for key, value in sorted(rows.items())
                  if key not in SPECS]


def _words(key: str) -> str:
    """« Plafond de remise sur une ligne (%), groupe 2 » for a ceiling's key; the key itself for an unknown one."""
    base = ceiling_key(key)
    if base is None:
        return "Motifs de remise" if key == "motifs_remise" else key
    where = "une ligne" if "_ligne_" in base else "un ticket"
    group = key.partition(".")[2]
    return (f"Plafond de remise sur {where} ({'%' if base.endswith('_pct') else '€'})"
            + (f", groupe {group}" if group else ""))
