"""Feature versions and the change log (编辑与修改记录) in the store's database, the same SQL on both
stores (run through ``store._run``, like store/bookings.py).

A feature's version is its row in ``feature_versions``, or, for a feature never edited, the layer's
generation: the row with ``fid = -1`` (no feature has a negative id), which every import moves on.
An edit moves the version by compare-and-swap (``UPDATE ... WHERE version = %s``); a stale edit finds
no row to update and is refused, never written over the other. An import moves every version of
its layer, so an edit opened before it is stale after it.
"""
from __future__ import annotations

import json

from .tables import Tables

TABLES = ("feature_versions", "feature_changes", "error_reports")
#: The fid of a layer's generation row in ``feature_versions``.
GENERATION = -1
ACTIONS = ("create", "update", "delete", "import")
#: What a family may say is wrong (报错), and what becomes of a report.
REPORT_KINDS = ("closed_permanently", "wrong_place", "wrong_hours", "wrong_phone", "other")
REPORT_STATUSES = ("open", "fixed", "rejected")
_REPORT = "id, layer, fid, kind, text, contact, status, created_at, closed_at, closed_by, note"


class StewardshipTables(Tables):
    """The version and change-log statements of one store."""

    def init(self) -> None:
        serial = self.serial
        actions = ", ".join(f"'{a}'" for a in ACTIONS)
        for statement in (
            """CREATE TABLE IF NOT EXISTS {feature_versions} (
                layer TEXT NOT NULL, fid BIGINT NOT NULL, version INTEGER NOT NULL CHECK (version >= 1),
                changed_at TEXT, changed_by TEXT, PRIMARY KEY (layer, fid))""",
            f"""CREATE TABLE IF NOT EXISTS {{feature_changes}} (
                id {serial}, layer TEXT NOT NULL, fid BIGINT, at TEXT NOT NULL, actor TEXT NOT NULL,
                action TEXT NOT NULL CHECK (action IN ({actions})), change TEXT NOT NULL)""",
            "CREATE INDEX IF NOT EXISTS feature_changes_feature ON {feature_changes} (layer, fid, id)",
            "CREATE INDEX IF NOT EXISTS feature_changes_at ON {feature_changes} (at)",
            f"""CREATE TABLE IF NOT EXISTS {{error_reports}} (
                id {serial}, layer TEXT NOT NULL, fid BIGINT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ({", ".join(f"'{k}'" for k in REPORT_KINDS)})),
                text TEXT NOT NULL CHECK (length(text) <= 500), contact TEXT CHECK (length(contact) <= 100),
                status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ({", ".join(f"'{k}'" for k in REPORT_STATUSES)})),
                created_at TEXT NOT NULL, closed_at TEXT, closed_by TEXT, note TEXT)""",
            "CREATE INDEX IF NOT EXISTS error_reports_status ON {error_reports} (status, id)",
        ):
            self._q(statement)

    # -- versions -------------------------------------------------------------------------
    def version(self, layer: str, fid: int) -> tuple[int, str | None, str | None]:
        """(version, changed by, changed at) of a feature: its own row, else the layer's generation."""
        rows = self._q("SELECT fid, version, changed_by, changed_at FROM {feature_versions} "
                       "WHERE layer = %s AND fid IN (%s, %s) ORDER BY fid DESC", (layer, fid, GENERATION))
        if not rows:
            return 1, None, None
        _, version, by, at = rows[0]
        return int(version), by, at

    def advance(self, layer: str, fid: int, expected: int, actor: str, now: str) -> int | None:
        """Move the feature from version ``expected`` to the next one, as ``actor``; the new version, or
        None when the feature is no longer at ``expected`` (someone else saved since)."""
        rows = self._q("UPDATE {feature_versions} SET version = version + 1, changed_by = %s, changed_at = %s "
                       "WHERE layer = %s AND fid = %s AND version = %s RETURNING version",
                       (actor, now, layer, fid, expected))
        if rows:
            return int(rows[0][0])
        if self._q("SELECT 1 FROM {feature_versions} WHERE layer = %s AND fid = %s", (layer, fid)):
            return None
        if self.version(layer, GENERATION)[0] != expected:
            return None
        # A first edit: two at once both get here; the primary key lets one insert, the other is a Conflict.
        self._insert_version(layer, fid, expected + 1, actor, now)
        return expected + 1

    def _insert_version(self, layer: str, fid: int, version: int, actor: str, now: str) -> None:
        self._q("INSERT INTO {feature_versions} (layer, fid, version, changed_by, changed_at) "
                "VALUES (%s, %s, %s, %s, %s)", (layer, fid, version, actor, now))

    def forget(self, layer: str, fid: int) -> None:
        self._q("DELETE FROM {feature_versions} WHERE layer = %s AND fid = %s", (layer, fid))

    def next_generation(self, layer: str, actor: str, now: str) -> None:
        """An import: every version of ``layer`` moves on, the generation of features never edited too."""
        self._q("UPDATE {feature_versions} SET version = version + 1, changed_by = %s, changed_at = %s "
                "WHERE layer = %s", (actor, now, layer))
        if not self._q("SELECT 1 FROM {feature_versions} WHERE layer = %s AND fid = %s", (layer, GENERATION)):
            self._insert_version(layer, GENERATION, 2, actor, now)

    # -- the change log -------------------------------------------------------------------
    def log(self, layer: str, fid: int | None, action: str, actor: str, now: str, change: dict) -> None:
        self._q("INSERT INTO {feature_changes} (layer, fid, at, actor, action, change) VALUES (%s, %s, %s, %s, %s, %s)",
                (layer, fid, now, actor, action, json.dumps(change, ensure_ascii=False, default=str)))

    def changes(self, layer: str | None = None, fid: int | None = None, actor: str | None = None,
                since: str | None = None, until: str | None = None, limit: int = 1000) -> list[dict]:
        """Change-log entries, newest first, filtered by layer, feature, actor and time
        (``since`` <= at < ``until``, ISO text)."""
        where, params = [], []
        for clause, value in (("layer = %s", layer), ("fid = %s", fid), ("actor = %s", actor),
                              ("at >= %s", since), ("at < %s", until)):
            if value is not None:
                where.append(clause)
                params.append(value)
        rows = self._q("SELECT id, layer, fid, at, actor, action, change FROM {feature_changes}"
                       + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC LIMIT %s",
                       (*params, limit))
        return [{"id": int(i), "layer": lay, "fid": None if f is None else int(f), "at": at, "actor": who,
                 "action": act, "change": json.loads(change)} for i, lay, f, at, who, act, change in rows]

    # -- error reports ----------------------------------------------------------------------
    def add_report(self, layer: str, fid: int, kind: str, text: str, contact: str | None, now: str) -> int:
        rows = self._q("INSERT INTO {error_reports} (layer, fid, kind, text, contact, created_at) "
                       "VALUES (%s, %s, %s, %s, %s, %s) RETURNING id", (layer, fid, kind, text, contact, now))
        return int(rows[0][0])

    def reports(self, status: str | None = None, limit: int = 500) -> list[dict]:
        """Reports with ``status`` (every one when None), newest first."""
        rows = self._q(f"SELECT {_REPORT} FROM {{error_reports}}" + (" WHERE status = %s" if status else "")
                       + " ORDER BY id DESC LIMIT %s", (status, limit) if status else (limit,))
        return [_report(row) for row in rows]

    def report(self, report_id: int) -> dict | None:
        rows = self._q(f"SELECT {_REPORT} FROM {{error_reports}} WHERE id = %s", (report_id,))
        return _report(rows[0]) if rows else None

    def count_reports(self, status: str) -> int:
        return int(self._q("SELECT count(*) FROM {error_reports} WHERE status = %s", (status,))[0][0])

    def close_report(self, report_id: int, status: str, note: str, actor: str, now: str) -> bool:
        """Close an open report (compare-and-swap: a report closed twice at once is closed once)."""
        return bool(self._q("UPDATE {error_reports} SET status = %s, note = %s, closed_by = %s, closed_at = %s "
                            "WHERE id = %s AND status = 'open' RETURNING id", (status, note, actor, now, report_id)))


def _report(row) -> dict:
    keys = ("id", "layer", "fid", "kind", "text", "contact", "status", "created_at", "closed_at", "closed_by", "note")
    out = dict(zip(keys, row))
    out["id"], out["fid"] = int(out["id"]), int(out["fid"])
    return out
