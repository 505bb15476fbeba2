"""Interface text in Chinese (default) and English, from one catalogue (messages.toml)."""
from __future__ import annotations

import math
import tomllib
from functools import cache
from importlib import resources

LANGS = ("zh", "en")


@cache
def catalogue() -> dict[str, dict[str, str]]:
    text = resources.files(__package__).joinpath("messages.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def pick_lang(value: str | None) -> str:
    """``en`` when asked for English (``en``, ``en-US``...), else Chinese."""
    return "en" if value and value.lower().startswith("en") else "zh"


def templates(keys, lang: str = "zh") -> dict[str, str]:
    """The texts for ``keys`` with their ``{name}`` placeholders left for a script to fill."""
    return {key: template(key, lang) for key in keys}


def template(key: str, lang: str = "zh") -> str:
    """The text for ``key`` with its ``{name}`` placeholders, for formatting many times."""
    entry = catalogue()[key]
    return entry.get(lang, entry["zh"])


def t(key: str, lang: str = "zh", **values) -> str:
    """The text for ``key`` in ``lang``, with ``{name}`` placeholders filled from ``values``."""
    entry = catalogue()[key]
    return entry.get(lang, entry["zh"]).format(**values)


# -- numbers in words: the one formatter of the pages, the report, the exports and the API texts --

def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def distance(metres: float, lang: str = "zh") -> str:
    """``500 米`` / ``1.1 公里`` / ``12 公里`` (``500 m`` / ``1.1 km``): whole metres under 1 km, then
    kilometres to one decimal under 10 km and whole kilometres beyond."""
    if metres < 999.5:
        return template("metres", lang).format(value=f"{metres:.0f}")
    km = metres / 1000
    return template("kilometres", lang).format(value=f"{km:.1f}".removesuffix(".0") if km < 9.95 else f"{km:.0f}")


def number(value, lang: str = "zh") -> str:
    """A whole number with thousands separators (``12,345``), ``—`` when missing."""
    return "—" if _missing(value) else f"{value:,.0f}"


def share(value, lang: str = "zh") -> str:
    """A share 0..1 as a percentage to one decimal (``61.3%``), ``—`` when missing."""
    return "—" if _missing(value) else f"{100 * value:.1f}%"


def rate(value, lang: str = "zh") -> str:
    """A rate to two decimals (``3.25``), ``—`` when missing."""
    return "—" if _missing(value) else f"{value:.2f}"
