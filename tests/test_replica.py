"""Reads on a streaming replica: a real primary and a replica made by ``pg_basebackup -R`` (PostgreSQL 15,
as the postgres user when run as root), each a throwaway cluster of this test's own.

Reads (features, nearby, tiles, OGC counts) run on the replica: they keep answering with the primary
stopped, and the replica's own statistics count their scans. A booking is decided on the primary
only: with the primary stopped it is a 503, never a decision on the replica. With the replica
stopped, reads fall back to the primary.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from ogc_data import fill
from shapely.geometry import Point
from test_outage import PGBIN, Cluster, free_port, need_postgres

from mapservice import booking
from mapservice.booking import Actor, Request, SessionSpec
from mapservice.errors import Unavailable
from mapservice.layers import load_layers
from mapservice.store.postgis import PostGISStore

BOX = (119.3, 32.3, 119.6, 32.6)


def scans(url: str) -> int:
    """Index and sequential scans of the venues table counted by the server at ``url``."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute("SELECT coalesce(idx_scan, 0) + coalesce(seq_scan, 0) FROM pg_stat_user_tables "
                           "WHERE relname = 'venues'").fetchone()
    return row[0] if row else 0


def wait_for(check, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def clusters():
    """(primary, replica): the replica streaming from the primary, both answering."""
    need_postgres("replica", "pg_basebackup")
    root = Path(tempfile.mkdtemp(prefix="yuren-replica-"))
    primary_dir, replica_dir = root / "primary", root / "replica"
    primary_dir.mkdir()
    replica_dir.mkdir()
    primary, replica = Cluster(primary_dir, free_port()), Cluster(replica_dir, free_port())
    try:
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
            shutil.chown(replica_dir, "postgres")
        primary.create()
        store = PostGISStore(primary.url, load_layers())
        store.init()
        fill(store, 2000)
        store.close()
        primary.run(str(PGBIN / "pg_basebackup"), "-D", str(replica.data), "-R", "-X", "stream", "-c", "fast", "-h", "127.0.0.1",
                    "-p", str(primary.port), "-U", "postgres")
        replica.pg_ctl("start")
        yield primary, replica
    finally:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        for cluster in (replica, primary):
            if cluster.data.exists():
                subprocess.run([*prefix, str(PGBIN / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "stop"],
                               capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_reads_on_the_replica_bookings_on_the_primary_and_fallback(clusters):
    primary, replica = clusters
    layers = load_layers()
    store = PostGISStore(primary.url, layers, read_urls=[replica.url])
    try:
        with psycopg.connect(replica.url, autocommit=True) as conn:
            assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
        base = store.create("practice_bases", {"name": "红色教育基地", "themes": ["patriotic"], "level": "municipal",
                                               "grade_min": 3, "grade_max": 9, "capacity": 50, "bookable": True},
                            Point(119.42, 32.39))
        school = store.create("schools", {"name": "学校", "stage": "primary"}, Point(119.4, 32.3))
        manager = Actor("base-manager", "base_manager", bases=frozenset({("practice_bases", base.id)}))
        day = (booking.today_china() + timedelta(days=20)).isoformat()
        made = booking.add_session(store, manager, "practice_bases", base.id, day,
                                   SessionSpec("09:00", "11:30", 50, [5]))
        # The replica catches up with the writes (they went to the primary).
        wait_for(lambda: _found(store, base.id))
        assert store.counts()["venues"] == 2000

        # Reads land on the replica: its own statistics count them, the primary's do not move.
        before_replica, before_primary = scans(replica.url), scans(primary.url)
        for _ in range(5):
            store.features("venues", bbox=BOX, limit=20)
            store.nearest(119.42, 32.39, ["venues"], 3000, 10)
        wait_for(lambda: scans(replica.url) >= before_replica + 10)
        assert scans(primary.url) == before_primary

        # With the primary stopped, reads still answer (features, nearby, tiles, versions) ...
        primary.pg_ctl("stop", "-m", "fast")
        assert store.features("venues", bbox=BOX, limit=20).number_matched > 0
        assert store.nearest(119.42, 32.39, ["venues"], 3000, 10)
        assert store.tile("venues", 8, 213, 103) and store.layer_versions()["venues"] > 0
        # ... and a booking is never decided on the replica: it waits for the primary (503).
        school_actor = Actor("school-1", "school", school=("schools", school.id))
        with pytest.raises(Unavailable):
            booking.book(store, school_actor, Request(made.id, 20, 2, [5], "class", "王老师", "13812345678"))
        with pytest.raises(Unavailable):
            store.create("venues", {"name": "新馆", "category": "museum", "free": True}, Point(119.4, 32.4))

        # Primary back, replica stopped: reads fall back to the primary, bookings are decided there.
        primary.pg_ctl("start")
        replica.pg_ctl("stop", "-m", "fast")
        wait_for(lambda: _answers(store))
        assert store.features("venues", bbox=BOX, limit=20).number_matched > 0
        outcome = booking.book(store, school_actor, Request(made.id, 20, 2, [5], "class", "王老师", "13812345678"))
        assert outcome.status == 201
        started = time.monotonic()
        for _ in range(20):
            store.features("venues", bbox=BOX, limit=20)
        assert time.monotonic() - started < 10  # the replica that is away is skipped, not waited for each time
    finally:
        store.close()


def _found(store, fid: int) -> bool:
    try:
        store.get("practice_bases", fid)
        return True
    except Exception:  # noqa: BLE001 (not replayed yet: NotFound)
        return False


def _answers(store) -> bool:
    try:
        store.counts()
        return True
    except Unavailable:
        return False
