"""What the tables that are not layers share: statements run through the store's ``_run``
(``%s`` placeholders, ``{table}`` names the store quotes), inside its ``transaction()``."""
from __future__ import annotations


class Tables:
    def __init__(self, store):
        self.store = store

    def _q(self, query: str, params=()) -> list[tuple]:
        return self.store._run(query, list(params))

    @property
    def serial(self) -> str:
        """The database's auto-numbered primary key column type."""
        return self.store._booking_types["serial"]
