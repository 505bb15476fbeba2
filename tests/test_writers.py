"""Writers and readers of one GeoPackage file at once, through the real command in subprocesses.

A second import waits for the first (saying so) and lands, or with --no-wait stops at once, before
reading its file; read-only commands and ``serve`` start-up take no write lock at all.
"""
from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

from mapservice.layers import load_layers
from mapservice.store.geopackage import GeoPackageStore

MAPSERVICE = [sys.executable, "-c", "from mapservice.cli import main; main()"]


@pytest.fixture
def gpkg(tmp_path):
    path = tmp_path / "shared.gpkg"
    store = GeoPackageStore(path, load_layers())
    store.init()
    store.close()
    return path


def env_for(path: Path) -> dict:
    return {**os.environ, "MAPSERVICE_DATABASE_URL": str(path), "MAPSERVICE_LOAD_DEMO": "false"}


def venues_csv(path: Path, count: int, prefix: str) -> Path:
    lines = ["source_id,name,category,free,lon,lat"]
    lines += [f"{prefix}{i},馆{prefix}{i},museum,true,{119.0 + (i % 1000) / 1000:.4f},{32.0 + i // 1000 / 1000:.4f}"
              for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def count_venues(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM venues").fetchone()[0]


class HeldLock:
    """Another writer: a write transaction held on the file until released."""

    def __init__(self, path: Path):
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.close()


def read_until(stream, text: str, seconds: float) -> str:
    """Lines of ``stream`` up to one holding ``text`` (fails after ``seconds``)."""
    seen, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = stream.readline()
        seen.append(line)
        if text in line:
            return "".join(seen)
        if not line:
            break
    pytest.fail(f"no {text!r} in {''.join(seen)!r}")


def test_a_second_import_waits_for_the_writer_saying_so_then_lands(gpkg, tmp_path):
    source = venues_csv(tmp_path / "v.csv", 500, "w")
    lock = HeldLock(gpkg)
    process = subprocess.Popen([*MAPSERVICE, "import", "venues", str(source)], env=env_for(gpkg),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        read_until(process.stderr, "waiting for it to finish", 60)
        time.sleep(1)
        assert process.poll() is None and count_venues(gpkg) == 0  # still waiting, nothing written
    finally:
        lock.release()
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0, out
    assert "500 valid, 0 rejected" in out and count_venues(gpkg) == 500


def test_no_wait_refuses_at_once_before_reading_the_file(gpkg, tmp_path):
    lock = HeldLock(gpkg)
    try:
        started = time.monotonic()
        # The file does not exist: an import that read it first would say so instead.
        result = subprocess.run([*MAPSERVICE, "import", "venues", str(tmp_path / "absent.csv"), "--no-wait"],
                                env=env_for(gpkg), capture_output=True, text=True, timeout=60)
        assert result.returncode == 2
        assert "another process is writing to shared.gpkg" in result.stderr and "not found" not in result.stderr
        assert time.monotonic() - started < 20
    finally:
        lock.release()


def test_two_large_imports_at_once_both_land(gpkg, tmp_path):
    sources = [venues_csv(tmp_path / f"{p}.csv", 20_000, p) for p in ("a", "b")]
    processes = [subprocess.Popen([*MAPSERVICE, "import", "venues", str(s)], env=env_for(gpkg),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for s in sources]
    results = [(p.communicate(timeout=300), p.returncode) for p in processes]
    assert [code for _, code in results] == [0, 0], results
    assert all("20000 valid, 0 rejected" in out for (out, _), _ in results)
    assert count_venues(gpkg) == 40_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_read_only_commands_and_serve_start_up_take_no_write_lock(gpkg, tmp_path):
    lock = HeldLock(gpkg)
    server = None
    try:
        for command in (["layers"], ["init"], ["export", "venues", "-o", str(tmp_path / "v.csv")]):
            result = subprocess.run([*MAPSERVICE, *command], env=env_for(gpkg), capture_output=True, text=True,
                                    timeout=30)
            assert result.returncode == 0, (command, result.stderr)
        port = free_port()
        server = subprocess.Popen([*MAPSERVICE, "serve", "--port", str(port), "--workers", "1"], env=env_for(gpkg),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urlopen(f"http://127.0.0.1:{port}/api/layers", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.3)
    finally:
        lock.release()
        if server is not None:
            os.killpg(server.pid, 15)
            server.wait(15)
