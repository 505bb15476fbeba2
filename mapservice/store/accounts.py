"""Users, API tokens and throttling events in the store's database, the same SQL on both stores.

Like store/bookings.py, each statement runs through the store's ``_run(query, params)`` (``%s``
placeholders, ``{table}`` names quoted by the store). What must never break is the database's:
one user per username, one token per digest, roles from a fixed list. Tokens are kept only as
their SHA-256 digest; throttling keys are digests too (a client address is personal data).
Times are ISO 8601 text in UTC, so they order as text.
"""
from __future__ import annotations

from ..errors import NotFound
from .tables import Tables

ROLES = ("admin", "base_manager", "school")
TABLES = ("users", "api_tokens", "throttle_events")

_USER = "id, username, role, features, disabled, session_version, password_hash"


def features_text(features) -> str:
    """``[("practice_bases", 3), ...]`` as ``practice_bases:3;...`` (the column's form)."""
    return ";".join(f"{layer}:{int(fid)}" for layer, fid in features)


def parse_features(text: str | None) -> tuple[tuple[str, int], ...]:
    out = []
    for part in (text or "").split(";"):
        if part:
            layer, _, fid = part.rpartition(":")
            out.append((layer, int(fid)))
    return tuple(out)


class AccountTables(Tables):
    """The account statements of one store (``store._run``, ``store.transaction``, ``_booking_types``)."""

    def init(self) -> None:
        serial = self.serial
        roles = ", ".join(f"'{r}'" for r in ROLES)
        for statement in (
            f"""CREATE TABLE IF NOT EXISTS {{users}} (
                id {serial}, username TEXT NOT NULL UNIQUE, role TEXT NOT NULL CHECK (role IN ({roles})),
                password_hash TEXT NOT NULL, features TEXT NOT NULL DEFAULT '',
                disabled INTEGER NOT NULL DEFAULT 0, session_version INTEGER NOT NULL DEFAULT 1,
                created_at TEXT NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS {{api_tokens}} (
                id {serial}, user_id BIGINT NOT NULL REFERENCES {{users}} (id), name TEXT NOT NULL,
                digest TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, last_used_at TEXT,
                UNIQUE (user_id, name))""",
            "CREATE TABLE IF NOT EXISTS {throttle_events} (kind TEXT NOT NULL, key TEXT NOT NULL, at TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS throttle_events_key ON {throttle_events} (kind, key, at)",
        ):
            self._q(statement)

    # -- users ----------------------------------------------------------------------------
    def add_user(self, username: str, role: str, password_hash: str, features, now: str) -> int:
        rows = self._q("INSERT INTO {users} (username, role, password_hash, features, created_at) "
                       "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                       (username, role, password_hash, features_text(features), now))
        return int(rows[0][0])

    def user_row(self, *, user_id: int | None = None, username: str | None = None) -> tuple | None:
        column, value = ("id", user_id) if user_id is not None else ("username", username)
        rows = self._q(f"SELECT {_USER} FROM {{users}} WHERE {column} = %s", (value,))
        return rows[0] if rows else None

    def user_rows(self) -> list[tuple]:
        return self._q(f"SELECT {_USER} FROM {{users}} ORDER BY username")

    def _change_user(self, user_id: int, assignments: str, params) -> None:
        if not self._q(f"UPDATE {{users}} SET {assignments} WHERE id = %s RETURNING id", (*params, user_id)):
            raise NotFound(f"no user {user_id}", field="user")

    def set_password(self, user_id: int, password_hash: str) -> None:
        """A new password ends every session of the user (their session version moves)."""
        self._change_user(user_id, "password_hash = %s, session_version = session_version + 1", (password_hash,))

    def set_disabled(self, user_id: int, disabled: bool) -> None:
        self._change_user(user_id, "disabled = %s, session_version = session_version + 1", (int(disabled),))

    def set_role(self, user_id: int, role: str, features) -> None:
        self._change_user(user_id, "role = %s, features = %s, session_version = session_version + 1",
                          (role, features_text(features)))

    # -- tokens ---------------------------------------------------------------------------
    def add_token(self, user_id: int, name: str, digest: str, now: str) -> int:
        rows = self._q("INSERT INTO {api_tokens} (user_id, name, digest, created_at) VALUES (%s, %s, %s, %s) "
                       "RETURNING id", (user_id, name, digest, now))
        return int(rows[0][0])

    def token_user(self, digest: str) -> tuple[int, int, str | None] | None:
        """(token id, user id, last used) of the token with ``digest``, or None."""
        rows = self._q("SELECT id, user_id, last_used_at FROM {api_tokens} WHERE digest = %s", (digest,))
        return (int(rows[0][0]), int(rows[0][1]), rows[0][2]) if rows else None

    def touch_token(self, token_id: int, now: str) -> None:
        self._q("UPDATE {api_tokens} SET last_used_at = %s WHERE id = %s", (now, token_id))

    def tokens(self, user_id: int) -> list[tuple]:
        """(id, name, created, last used) of the user's tokens, oldest first (never the digest)."""
        return self._q("SELECT id, name, created_at, last_used_at FROM {api_tokens} WHERE user_id = %s ORDER BY id",
                       (user_id,))

    def delete_token(self, user_id: int, name: str) -> bool:
        return bool(self._q("DELETE FROM {api_tokens} WHERE user_id = %s AND name = %s RETURNING id", (user_id, name)))

    # -- throttling -----------------------------------------------------------------------
    def events_since(self, kind: str, key: str, since: str) -> tuple[int, str | None]:
        """How many events of ``kind`` for ``key`` happened at or after ``since``, and the oldest one's time."""
        count, oldest = self._q("SELECT count(*), min(at) FROM {throttle_events} WHERE kind = %s AND key = %s "
                                "AND at >= %s", (kind, key, since))[0]
        return int(count), oldest

    def add_event(self, kind: str, key: str, at: str) -> None:
        self._q("INSERT INTO {throttle_events} (kind, key, at) VALUES (%s, %s, %s)", (kind, key, at))

    def clear_events(self, kind: str, key: str) -> None:
        self._q("DELETE FROM {throttle_events} WHERE kind = %s AND key = %s", (kind, key))

    def forget_events_before(self, kind: str, before: str) -> None:
        self._q("DELETE FROM {throttle_events} WHERE kind = %s AND at < %s", (kind, before))
