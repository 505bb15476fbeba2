"""Riding out the database: a real PostgreSQL of its own restarted and stopped under a bounded load on
``mapservice serve`` (gunicorn, two workers).

The cluster is this test's own (initdb and pg_ctl from PostgreSQL 15, as the postgres user when
run as root), so stopping it disturbs no other test. Targets (issue 14): never a 500; a JSON 503
with Retry-After while the database is away; no request waits more than 5 s; a worker that dies
meanwhile is replaced and answers 503 too; correct answers again within 2 s of PostgreSQL
accepting connections; not one wrong answer.
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from shapely.geometry import Point

from mapservice.layers import load_layers
from mapservice.store.postgis import PostGISStore

PGBIN = Path("/usr/lib/postgresql/15/bin")
OUTAGE_S = 35  # longer than the 30 s the pool used to wait, after which recovery used to take ~17 s
MAX_WAIT_S, RECOVERY_S = 5.0, 2.0
QUERY = "/api/nearby?lat=32.39&lon=119.40&radius=5000&layers=venues&limit=10"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A throwaway PostgreSQL cluster under ``folder``, on ``port``."""

    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port
        self.data = folder / "data"
        self.url = f"postgresql://postgres@127.0.0.1:{port}/outage"

    def run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self.run(str(PGBIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                 "--locale=C.UTF-8")

    def pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(str(PGBIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"), "-w", "-o", options,
                 action, *extra)

    def create(self) -> None:
        """initdb, start, and the database of ``url`` with PostGIS in it."""
        self.init()
        self.pg_ctl("start")
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE outage")
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")

    def accepting(self) -> bool:
        try:
            psycopg.connect(self.url, connect_timeout=1).close()
            return True
        except psycopg.OperationalError:
            return False


def need_postgres(test: str, program: str = "initdb") -> None:
    """Skip ``test`` without PostgreSQL 15's ``program`` (or, as root, runuser); in CI, fail instead."""
    if not (PGBIN / program).exists() or (os.geteuid() == 0 and shutil.which("runuser") is None):
        message = f"the {test} test needs PostgreSQL 15 at {PGBIN} (apt-get install postgresql-15-postgis-3)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def cluster():
    need_postgres("outage")
    # Not under pytest's tmp_path: the postgres user must be able to reach the folder.
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="yuren-outage-")), free_port())
    try:
        cluster.create()
        yield cluster
    finally:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, str(PGBIN / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(cluster.folder, ignore_errors=True)


@dataclass
class Answer:
    sent: float  # time.monotonic() when sent
    seconds: float
    status: int
    retry_after: str | None
    body: bytes


def ask(port: int) -> Answer:
    sent = time.monotonic()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", QUERY)
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return Answer(sent, time.monotonic() - sent, response.status, response.getheader("Retry-After"), body)
    except OSError as exc:
        return Answer(sent, time.monotonic() - sent, 0, None, repr(exc).encode())


def workers_of(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_restart_and_a_long_stop_under_load(cluster, tmp_path):
    store = PostGISStore(cluster.url, load_layers())
    store.init()
    for i in range(5):
        store.create("venues", {"name": f"馆{i}", "category": "museum", "free": True}, Point(119.40 + i / 100, 32.39))
    store.close()
    port = free_port()
    env = {**os.environ, "MAPSERVICE_DATABASE_URL": cluster.url, "MAPSERVICE_LOAD_DEMO": "false",
           "MAPSERVICE_SECRET_KEY": "outage-test-secret-key-0123456789"}
    server = subprocess.Popen([sys.executable, "-c", "from mapservice.cli import main; main()", "serve", "--port",
                               str(port), "--workers", "2", "--threads", "4"], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    answers: list[Answer] = []
    stop = threading.Event()
    clients: list[threading.Thread] = []

    def load():  # four clients, each waiting for its answer before asking again: a bounded load
        while not stop.is_set():
            answers.append(ask(port))
            time.sleep(0.05)

    try:
        deadline = time.monotonic() + 60
        while ask(port).status != 200:
            assert server.poll() is None and time.monotonic() < deadline, server.stderr.read().decode()
            time.sleep(0.3)
        expected = json.loads(ask(port).body)["features"]
        assert [f["properties"]["name"] for f in expected] == [f"馆{i}" for i in range(5)]
        clients += [threading.Thread(target=load, daemon=True) for _ in range(4)]
        for client in clients:
            client.start()
        time.sleep(2)
        cluster.pg_ctl("restart", "-m", "fast")
        restarted = time.monotonic()
        time.sleep(4)
        cluster.pg_ctl("stop", "-m", "fast")
        time.sleep(5)
        killed = workers_of(server.pid)[0]
        killed_at = time.monotonic()
        os.kill(killed, signal.SIGKILL)  # a worker dying while the database is away must be replaced
        time.sleep(OUTAGE_S - 5)
        assert server.poll() is None, "the server exited while the database was away"
        assert len(workers_of(server.pid)) == 2 and killed not in workers_of(server.pid)
        starting = time.monotonic()
        cluster.pg_ctl("start")
        while not cluster.accepting():
            time.sleep(0.05)
        accepting = time.monotonic()
        time.sleep(6)
    finally:
        stop.set()
        ended = time.monotonic()
        for client in clients:
            client.join(15)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(15)
    # The requests the killed worker was serving, or that were waiting in its own (SO_REUSEPORT)
    # accept queue, lose their connection: that is the kill, not the app.
    cut = [a for a in answers if a.status == 0 and a.sent - 1 <= killed_at <= a.sent + a.seconds + 1]
    answers = [a for a in answers if a not in cut and a.sent < ended]
    assert len(cut) <= 4
    seen = {a.status for a in answers}
    assert seen <= {200, 503}, [(a.status, a.body[:200]) for a in answers if a.status not in (200, 503)]
    slow = [(round(a.sent - restarted, 1), round(a.seconds, 1), a.status) for a in answers if a.seconds > MAX_WAIT_S]
    assert not slow, f"answers (sent s after the restart, seconds, status) that took too long: {slow}"
    for answer in answers:
        if answer.status == 200:
            assert json.loads(answer.body)["features"] == expected  # never a wrong answer
        else:
            error = json.loads(answer.body)["error"]
            assert error["status"] == 503 and error["message"] and int(answer.retry_after) > 0
    during = [a for a in answers if restarted + 5 < a.sent and a.sent + a.seconds < starting]
    assert len(during) > 20 and all(a.status == 503 for a in during)
    after = [a for a in answers if a.sent > accepting + RECOVERY_S]
    assert len(after) > 20 and all(a.status == 200 for a in after), [(a.sent - accepting, a.status) for a in after]
    first_good = min(a.sent + a.seconds for a in answers if a.status == 200 and a.sent > accepting - 1)
    print(f"\n{len(answers)} answers: {sum(a.status == 503 for a in answers)} 503s, longest {max(a.seconds for a in answers):.2f} s, "
          f"first correct answer {first_good - accepting:.2f} s after PostgreSQL accepted connections")
