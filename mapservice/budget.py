"""What one analysis may spend: pairs of points held at once, seconds, and how many run at once.

The analysis core asks :func:`check_pairs` before it materialises point pairs (2SFCA, siting) and
:func:`check_time` between steps and chunks; the server wraps each heavy request in
:func:`spending` with its settings (``MAPSERVICE_MAX_PAIRS``, ``MAPSERVICE_ANALYSIS_SECONDS``) and
admits at most ``MAPSERVICE_ANALYSIS_CONCURRENCY`` of them at once per process (:class:`Gate`).
Outside any :func:`spending` block (the CLI, tests) the pair cap is :data:`DEFAULT_MAX_PAIRS`
and there is no deadline. Framework-free: errors are :mod:`mapservice.errors` types.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from .errors import BadRequest, Unavailable

#: About 50 bytes each while they are made and used (indices, distances, masks; bench/analysis_budget.py):
#: 10 million pairs keep an analysis near half a gigabyte and a few seconds, whatever the radius.
DEFAULT_MAX_PAIRS = 10_000_000


@dataclass(frozen=True)
class Budget:
    """``max_pairs`` point pairs at once; ``deadline`` a ``time.monotonic()`` instant, or None."""

    max_pairs: int = DEFAULT_MAX_PAIRS
    deadline: float | None = None
    seconds: float | None = None


_CURRENT: ContextVar[Budget | None] = ContextVar("mapservice_budget", default=None)
_UNBOUNDED_TIME = Budget()


class TooMuchWork(BadRequest):
    """The request would make more point pairs than one request may hold (400): narrow it."""


class OverTime(Unavailable):
    """The analysis ran past its time budget (503): narrow it, or ask when the server is less busy."""


def current() -> Budget:
    return _CURRENT.get() or _UNBOUNDED_TIME


@contextmanager
def spending(max_pairs: int = DEFAULT_MAX_PAIRS, seconds: float | None = None) -> Iterator[Budget]:
    """Analyses inside the block keep to ``max_pairs`` and finish within ``seconds`` (None: no limit)."""
    budget = Budget(max_pairs, time.monotonic() + seconds if seconds else None, seconds)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def check_pairs(count: int, field: str = "radius") -> None:
    """Refuse, before making them, ``count`` pairs of points within the radius beyond the budget."""
    limit = current().max_pairs
    if count > limit:
        raise TooMuchWork(f"{field}: within this radius the analysis pairs {count:,} demand and supply points, more "
                          f"than the {limit:,} one request may; choose a smaller radius, one district, or fewer "
                          "supply layers", field=field, code="too_much_work",
                          params={"count": f"{count:,}", "limit": f"{limit:,}"})


def check_time() -> None:
    """Stop an analysis that has run past its deadline."""
    budget = current()
    if budget.deadline is not None and time.monotonic() > budget.deadline:
        raise OverTime(f"the analysis took longer than the {budget.seconds:g} s one request may; choose a smaller "
                       "radius or one district, or try again when the server is less busy", retry_after=10,
                       code="over_time", params={"seconds": f"{budget.seconds:g}"})


class Gate:
    """At most ``size`` heavy analyses at once; one more is refused at once (503 with Retry-After),
    never queued, so the work waiting in a process cannot grow."""

    def __init__(self, size: int):
        self._slots = threading.BoundedSemaphore(size)

    @contextmanager
    def admit(self) -> Iterator[None]:
        if not self._slots.acquire(blocking=False):
            raise Unavailable("the server is busy with other analyses; try again in a few seconds", retry_after=5,
                              code="busy")
        try:
            yield
        finally:
            self._slots.release()
