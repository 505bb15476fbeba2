"""Where the shipped data folders (layers/, static/, geodata/) live.

In a source checkout or an editable install they sit beside the package; a wheel carries them
inside it (pyproject's force-include).
"""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return the folder ``name`` (``layers``, ``static`` or ``geodata``)."""
    inside = _PACKAGE / name
    if inside.is_dir():
        return inside
    beside = _PACKAGE.parent / name
    if beside.is_dir():
        return beside
    raise FileNotFoundError(f"shipped folder {name!r} not found next to {_PACKAGE}")
