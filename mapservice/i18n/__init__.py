"""Interface text in Chinese (default) and English, from one catalogue (messages.toml)."""
from __future__ import annotations

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
    return {key: catalogue()[key].get(lang, catalogue()[key]["zh"]) for key in keys}


def t(key: str, lang: str = "zh", **values) -> str:
    """The text for ``key`` in ``lang``, with ``{name}`` placeholders filled from ``values``."""
    entry = catalogue()[key]
    return entry.get(lang, entry["zh"]).format(**values)
