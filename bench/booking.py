"""Study-tour booking through HTTP: bookings per second and p95 latency on both stores.

Starts ``mapservice serve`` (gunicorn, ``--workers``) on a fresh GeoPackage and, with ``--postgis URL``,
on a fresh schema of that database; makes ``--schools`` school accounts with API tokens, a base and its
manager; then sends, with ``--clients`` threads (one persistent connection each):

- hot:    every request for the one session (capacity ``--capacity``), each from another school;
- spread: requests over ``--sessions`` sessions (capacity 1,000 each), random school and session;
- trivial: ``GET /api/me`` with a token, the baseline (an authenticated request that reads one row).

Each run checks that nothing is overbooked: the granted headcounts add up to each session's booked
count, which never exceeds its capacity, and ``mapservice bookings check`` finds no difference. It
prints bookings/s (granted and refused answers over the wall time), median and p95 latency,
statuses, and the ratio of the median to the trivial endpoint's.

    python bench/booking.py [--postgis postgresql://...] [--schools 400] [--clients 16]
        [--requests 800] [--sessions 500] [--capacity 300] [--workers 2]

Targets (the issue): 0 overbookings in every run; PostGIS at least 300 bookings/s spread and 150/s
hot, the embedded store at least half of that.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

from http_nearby import _stop, free_port, mapservice_command
from shapely.geometry import Point

from mapservice import booking
from mapservice.auth import Accounts
from mapservice.layers import load_layers
from mapservice.settings import Settings
from mapservice.store import open_store

HOST = "127.0.0.1"
SECRET = "bench-secret-key-not-for-production"


def prepare(settings: Settings, args) -> dict:
    """A base, its manager and ``args.schools`` schools with tokens; the hot and the spread sessions."""
    store = open_store(settings, load_layers())
    store.init()
    accounts = Accounts(store)
    base = store.create("practice_bases", {"name": "压测基地", "themes": ["science"], "level": "municipal",
                                           "bookable": True}, Point(119.42, 32.39))
    manager = accounts.add_user("manager", "base_manager", "bench-password-1", [("practice_bases", base.id)])
    tokens = []
    started = time.perf_counter()
    for i in range(args.schools):
        school = store.create("schools", {"name": f"压测学校{i}", "stage": "primary"}, Point(119.4 + i / 10000, 32.3))
        user = accounts.add_user(f"school{i}", "school", "bench-password-1", [("schools", school.id)])
        tokens.append(accounts.create_token(user, "bench"))
        if i % 100 == 99:
            print(f"  accounts: {i + 1}/{args.schools} ({time.perf_counter() - started:.0f} s)", flush=True)
    actor = booking.Actor("manager", "base_manager", bases=frozenset({("practice_bases", base.id)}))
    day = booking.today_china() + timedelta(days=20)
    spec = booking.SessionSpec("09:00", "11:30", args.capacity, [5])
    hot = booking.add_session(store, actor, "practice_bases", base.id, day, spec)
    # Within the booking window: ten sessions a day (another hour each) over the next 50 days.
    rows = [{"base_layer": "practice_bases", "base_id": base.id,
             "date": (booking.today_china() + timedelta(days=5 + i // 10)).isoformat(),
             **vars(booking.SessionSpec(f"{8 + i % 10:02d}:00", f"{8 + i % 10:02d}:50", 1000, [5]))}
            for i in range(args.sessions)]
    with store.transaction():
        spread = store.bookings.add_sessions(rows, "manager", booking.now_utc().isoformat())
    store.close()
    return {"tokens": tokens, "manager": manager.username, "hot": hot.id,
            "spread": [s.id for s in spread], "base": base.id}


def served(settings: Settings, args, log: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAPSERVICE_")}
    env.update(MAPSERVICE_DATABASE_URL=settings.database_url, MAPSERVICE_DATABASE_SCHEMA=settings.database_schema
               or "public", MAPSERVICE_LOAD_DEMO="false", MAPSERVICE_SECRET_KEY=SECRET)
    port = free_port()
    proc = subprocess.Popen([*mapservice_command(), "serve", "--host", HOST, "--port", str(port), "--workers",
                             str(args.workers), "--threads", "8"], env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/api/layers")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc)
            sys.exit(f"the server did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.3)


def series(port: int, calls: list, clients: int) -> tuple[float, list[float], list[int]]:
    """Send ``calls`` ((method, path, token, body)) with ``clients`` threads; (seconds, latencies, statuses)."""
    lock, queue = threading.Lock(), list(reversed(calls))
    latencies, statuses = [], []

    def worker():
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        while True:
            with lock:
                if not queue:
                    break
                method, path, token, body = queue.pop()
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            sent = time.perf_counter()
            try:
                conn.request(method, path, body=json.dumps(body) if body else None, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
                status = 0
            took = time.perf_counter() - sent
            with lock:
                latencies.append(took)
                statuses.append(status)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, statuses


def request_body(session_id: int) -> dict:
    return {"session_id": session_id, "pupils": 1, "teachers": 0, "grades": [5], "unit": "class",
            "contact_name": "压测", "contact_phone": "13812345678"}


def run_store(name: str, settings: Settings, args, workdir: Path) -> list[str]:
    print(f"== {name}: preparing {args.schools} school accounts", flush=True)
    world = prepare(settings, args)
    proc, port = served(settings, args, workdir / f"{name}.log")
    lines = []
    try:
        tokens = world["tokens"]
        trivial = series(port, [("GET", "/api/me", random.choice(tokens), None) for _ in range(args.requests)],
                         args.clients)
        base_median = statistics.median(trivial[1])
        hot_calls = [("POST", "/api/bookings", tokens[i % len(tokens)], request_body(world["hot"]))
                     for i in range(min(args.requests, len(tokens)))]
        rng = random.Random(1)
        spread_calls = [("POST", "/api/bookings", rng.choice(tokens), request_body(rng.choice(world["spread"])))
                        for _ in range(args.requests)]
        runs = (("trivial /api/me", trivial), ("hot (one session)", series(port, hot_calls, args.clients)),
                ("spread", series(port, spread_calls, args.clients)))
        for label, (seconds, latencies, statuses) in runs:
            granted = sum(1 for s in statuses if s == 201)
            median = statistics.median(latencies)
            p95 = sorted(latencies)[int(0.95 * (len(latencies) - 1))]
            counts = {s: statuses.count(s) for s in sorted(set(statuses))}
            lines.append(f"{name:9} {label:18} {len(statuses) / seconds:8.0f}/s  median {median * 1000:6.1f} ms  "
                         f"p95 {p95 * 1000:6.1f} ms  x{median / base_median:4.1f} trivial  granted {granted:5}  "
                         f"statuses {counts}")
        # No overbooking: every session's booked count within capacity and equal to its bookings.
        store = open_store(settings, load_layers())
        store.init()
        sessions = store.bookings.sessions(include_cancelled=True)
        over = [s.id for s in sessions if s.booked > s.capacity]
        differences = booking.check(store)
        hot = store.bookings.session(world["hot"])
        store.close()
        lines.append(f"{name:9} check: hot session booked {hot.booked}/{hot.capacity}; overbooked sessions "
                     f"{len(over)}; integrity differences {len(differences)}")
        assert not over and not differences and hot.booked <= hot.capacity
    finally:
        _stop(proc)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgis", help="a PostgreSQL URL with PostGIS (a fresh schema is made and dropped)")
    parser.add_argument("--schools", type=int, default=400)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--capacity", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    lines = []
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        gpkg = Settings(database_url=str(workdir / "bench.gpkg"), load_demo=False, secret_key=SECRET)
        lines += run_store("gpkg", gpkg, args, workdir)
        if args.postgis:
            import psycopg

            schema = f"bench_{uuid.uuid4().hex[:8]}"
            try:
                lines += run_store("postgis", Settings(database_url=args.postgis, database_schema=schema,
                                                       load_demo=False, secret_key=SECRET), args, workdir)
            finally:
                with psycopg.connect(args.postgis, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    print()
    print("\n".join(lines))
    print("targets: 0 overbookings; PostGIS >= 300/s spread and >= 150/s hot; the embedded store half of that")


if __name__ == "__main__":
    main()
