"""HTTP speed of the API under a real WSGI server: nearby and bbox against a trivial JSON endpoint.

Starts the app the way it is served — ``mapservice serve --port P`` (gunicorn with one worker
per core where installed, else waitress) — as a subprocess bound to 127.0.0.1,
on a prepared GeoPackage, and sends it from this process, over loopback, three series of
``--requests`` GET requests with ``--concurrency`` connections (a thread pool, one persistent
``http.client`` connection per thread, each request tried once), each series in ``--rounds``
parts with the endpoints taking turns, so that a slow spell of a shared machine falls on all alike:

- nearby:  ``/api/nearby?lat=&lon=&radius=3000&limit=20`` at random points (all four supply layers)
- bbox:    ``/api/layers/venues/features?bbox=<3 km x 3 km box>&limit=20`` around random points
- trivial: ``/api/places?q=zzzz&layers=districts&limit=1``, the baseline (see TRIVIAL below)

For each series it also prints how many requests each server process (gunicorn worker) answered,
found from the loopback connection each request went on (/proc/net/tcp and the workers' file
descriptors): ``mapservice serve`` gives each worker its own SO_REUSEPORT socket, so keep-alive
connections spread over the workers instead of one worker taking them all.

Query points are drawn like ``bench/nearby.py``'s: half in a dense normal cluster around the old
town (119.42, 32.39), half uniform over lon 119.0-119.9 / lat 32.2-33.2. Each series is preceded
by ``--warmup`` requests that are not counted (the first nearby call in a server process builds
the KD-trees). Per endpoint it prints requests/s (requests over the wall time of its parts),
median and p95 latency (request sent to body read, in this client), errors (any status but 200,
or a broken connection), the ratio of its median to the trivial endpoint's median, the server's
CPU time per request (all processes of the server's process group, from /proc) and this
client's, and the mean response size.

Data sets:

- demo:   a fresh .gpkg filled by ``mapservice init`` with MAPSERVICE_LOAD_DEMO=true (Yangzhou,
          ~3,600 generated points, 200 venues).
- region: ``--features`` (100,000) random points in each of the four supply layers (venues,
          practice_bases, community_stations, parent_schools), same mix as the queries, loaded
          through the Store contract (``GeoPackageStore.upsert`` in chunks inside one
          ``store.transaction()``). Every required attribute of the layer file is filled, plus
          address, phone and opening_hours where the layer has them, so that responses and popups
          carry what the demo's do.

The reference and targets come from the issue (pygeoapi on a 100k-point GeoPackage); they are
printed with each table. Client and server share this machine's cores, so the client's own CPU
is printed too: on a small machine it takes a visible share.

    python bench/http_nearby.py [--dataset demo|region|both] [--threads 4]
        [--features 100000] [--requests 2000] [--concurrency 8] [--warmup 100] [--seed 1]
        [--workdir DIR] [--rounds 5] [--postgis postgresql://postgres@127.0.0.1:54331/yuren_bench]

``--postgis`` names a database (with the postgis extension) whose ``public`` schema is filled with
the region's layers (kept when the counts already match), served next the same way, so that the
ratios of both stores come from one run.

``--workdir`` keeps the prepared .gpkg files there and reuses the region file on the next run
(same --features and --seed); without it they go in a temporary folder that is removed. The
server is stopped (SIGTERM to its process group, then SIGKILL) at the end, also on errors and
Ctrl-C. All traffic goes to 127.0.0.1.
"""
from __future__ import annotations

import argparse
import http.client
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from nearby import random_points  # the same synthetic Yangzhou mix as bench/nearby.py
from tqdm import tqdm

from mapservice.geo import GEOD
from mapservice.layers import load_layers
from mapservice.store import Row
from mapservice.store.geopackage import GeoPackageStore

HOST = "127.0.0.1"
SUPPLY = ("venues", "practice_bases", "community_stations", "parent_schools")
RADIUS_M, LIMIT, BOX_SIDE_M = 3000, 20, 3000
CHUNK = 5000
# The baseline: the cheapest JSON endpoint that still goes the whole way a data request goes
# (waitress/gunicorn, Flask routing, APIFlask query-schema validation, a store call on this
# thread's SQLite connection, jsonify) and answers 200. Measured in-process on the demo store:
# this one 0.45 ms; /openapi.json 0.44 ms but skips validation and the store and sends 6.8 kB
# (the spec is cached); /api/layers 0.50 ms, but count(*) on every table grows with the data;
# /api/places?q=zzzz&limit=1 1.7 ms on the demo and far more on 100k points per layer, since it
# scans the name of every feature of every layer; /api/layers/venues/features/1 0.82 ms, as it
# builds a popup. With layers=districts the name scan is over the 6 district rows (0 in the
# region data set) and nothing matches, so the answer is {"places": []} on both data sets.
TRIVIAL = "/api/places?q=zzzz&layers=districts&limit=1"
ENDPOINTS = ("trivial", "nearby", "bbox")
READY_TIMEOUT_S, STOP_TIMEOUT_S, REQUEST_TIMEOUT_S = 120, 15, 60

REFERENCE = [
    "reference (the issue): pygeoapi on a 100k-point GeoPackage ~60 req/s, median 128 ms, ~2% HTTP 500",
    "targets: >= 1,200 req/s with zero errors, median < 10 ms, nearby and bbox median within 2x of trivial",
]
TARGET_RPS, TARGET_MEDIAN_MS, TARGET_RATIO = 1200, 10.0, 2.0

OPENING_HOURS = ["Mo-Su 08:30-17:30", "Tu-Su 09:00-17:00; PH off", "Mo-Fr 14:00-20:30; Sa,Su 08:30-17:30",
                 "Mo-Fr 08:30-17:30"]


# -- data ------------------------------------------------------------------------------------
def layer_rows(rng: np.random.Generator, layer, n: int) -> list[Row]:
    """``n`` rows for ``layer``: every required attribute, plus address/phone/opening_hours."""
    lon, lat = random_points(rng, n)
    points = shapely.points(lon, lat)
    columns: dict[str, list] = {}
    for attribute in layer.attributes:
        kind, name = attribute.type, attribute.name
        if name == "name":
            columns[name] = [f"{layer.title_zh} {i}" for i in range(n)]
        elif name == "address":
            columns[name] = [f"扬州市测试路{i % 997 + 1}号" for i in range(n)]
        elif name == "phone":
            columns[name] = [f"0514-8{i % 10_000_000:07d}" for i in range(n)]
        elif kind == "opening_hours":
            columns[name] = [OPENING_HOURS[k] for k in rng.integers(0, len(OPENING_HOURS), n)]
        elif not attribute.required:
            continue
        elif kind == "code":
            columns[name] = rng.choice(list(attribute.values), n).tolist()
        elif kind == "codes":
            codes = list(attribute.values)
            columns[name] = [sorted({codes[a], codes[b]}) for a, b in rng.integers(0, len(codes), (n, 2))]
        elif kind == "boolean":
            columns[name] = (rng.random(n) < 0.7).tolist()
        elif kind in ("integer", "number"):
            low = attribute.min if attribute.min is not None else 1
            high = attribute.max if attribute.max is not None else low + 100
            columns[name] = rng.integers(int(low), int(high) + 1, n).tolist()
        else:
            columns[name] = [f"{name} {i}" for i in range(n)]
    return [Row(f"bench-{layer.id}-{i:07d}", {k: v[i] for k, v in columns.items()}, points[i], generated=True)
            for i in range(n)]


def mapservice_command() -> list[str]:
    """The ``mapservice`` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("mapservice")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from mapservice.cli import main; main()"]


def server_env(database_url: Path | str, load_demo: bool) -> dict[str, str]:
    """The server's environment: this one without MAPSERVICE_* settings, the store at
    ``database_url`` (a .gpkg or a PostGIS URL; PostGIS needs a session key to start, for the
    accounts: the benches sign nobody in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAPSERVICE_")}
    env.update(MAPSERVICE_DATABASE_URL=str(database_url), MAPSERVICE_LOAD_DEMO="true" if load_demo else "false")
    if str(database_url).startswith(("postgresql://", "postgres://")):
        env["MAPSERVICE_SECRET_KEY"] = "bench-secret-key-not-for-production"
    return env


def prepare_demo(path: Path) -> None:
    """A fresh .gpkg with the demo region, by ``mapservice init`` (MAPSERVICE_LOAD_DEMO=true)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    start = time.perf_counter()
    done = subprocess.run([*mapservice_command(), "init"], env=server_env(path, True), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        sys.exit(f"mapservice init failed ({done.returncode}):\n{done.stderr[-3000:]}")
    counts = dict(line.split() for line in done.stdout.splitlines() if len(line.split()) == 2)
    print(f"demo: mapservice init {time.perf_counter() - start:.1f} s; "
          + ", ".join(f"{k} {counts.get(k, '?')}" for k in SUPPLY))


def prepare_region(path: Path, n: int, seed: int) -> None:
    """``n`` points per supply layer through the Store contract; reuses a complete file."""
    layers = load_layers()
    store = GeoPackageStore(path, layers)
    try:
        if path.exists():
            counts = store.counts()
            if all(counts.get(layer_id) == n for layer_id in SUPPLY):
                print(f"region: reusing {path} ({n} points in each of {', '.join(SUPPLY)})")
                return
            store.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            store = GeoPackageStore(path, layers)
        store.init()
        rng = np.random.default_rng(seed)
        start = time.perf_counter()
        with store.transaction(), tqdm(total=n * len(SUPPLY), desc="load region", unit="row", file=sys.stderr) as bar:
            for layer_id in SUPPLY:
                rows = layer_rows(rng, layers[layer_id], n)
                for i in range(0, n, CHUNK):
                    store.upsert(layer_id, rows[i:i + CHUNK])
                    bar.update(len(rows[i:i + CHUNK]))
        print(f"region: loaded {n} points in each of {', '.join(SUPPLY)} in {time.perf_counter() - start:.1f} s "
              f"(upsert in chunks of {CHUNK}, one transaction)")
    finally:
        store.close()


def copy_to_postgis(gpkg: Path, url: str) -> None:
    """The GeoPackage's layers into the database's public schema (kept when the counts already match)."""
    from mapservice.exporter import iter_features
    from mapservice.store.postgis import PostGISStore

    layers = load_layers()
    source, target = GeoPackageStore(gpkg, layers), PostGISStore(url, layers)
    try:
        target.init()
        if target.counts() == source.counts():
            print("postgis: reusing the data set already there")
            return
        start = time.perf_counter()
        with target.transaction():
            for layer_id in layers:
                target._execute(f'TRUNCATE "public"."{layer_id}"')
        with tqdm(total=sum(source.counts().values()), desc="copy to postgis", unit="row", file=sys.stderr) as bar:
            for layer_id in layers:
                rows = [Row(f.properties["source_id"], {k: v for k, v in f.properties.items()
                                                         if k not in ("source_id", "generated", "adcode")},
                            f.geometry, f.properties["generated"]) for f in iter_features(source, layer_id)]
                for i in range(0, len(rows), CHUNK):
                    target.upsert(layer_id, rows[i:i + CHUNK])
                    bar.update(len(rows[i:i + CHUNK]))
        target._execute("VACUUM ANALYZE")
        print(f"postgis: copied in {time.perf_counter() - start:.1f} s")
    finally:
        source.close()
        target.close()


def request_paths(rng: np.random.Generator, n: int) -> dict[str, list[str]]:
    """``n`` paths per endpoint; nearby and bbox at fresh random points."""
    lon, lat = random_points(rng, n)
    nearby = [f"/api/nearby?lat={y:.6f}&lon={x:.6f}&radius={RADIUS_M}&limit={LIMIT}" for x, y in zip(lon, lat)]
    lon, lat = random_points(rng, n)
    half = np.full(n, BOX_SIDE_M / 2)
    west, _, _ = GEOD.fwd(lon, lat, np.full(n, 270.0), half)
    east, _, _ = GEOD.fwd(lon, lat, np.full(n, 90.0), half)
    _, south, _ = GEOD.fwd(lon, lat, np.full(n, 180.0), half)
    _, north, _ = GEOD.fwd(lon, lat, np.zeros(n), half)
    bbox = [f"/api/layers/venues/features?bbox={w:.6f},{s:.6f},{e:.6f},{nn:.6f}&limit={LIMIT}"
            for w, s, e, nn in zip(west, south, east, north)]
    return {"trivial": [TRIVIAL] * n, "nearby": nearby, "bbox": bbox}


# -- server ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_command(kind: str, port: int, args) -> list[str]:
    threads = ["--threads", str(args.threads)] if getattr(args, "threads", None) else []
    return [*mapservice_command(), "serve", "--host", HOST, "--port", str(port), *threads]


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.read()


@contextmanager
def running_server(kind: str, database_url: Path | str, load_demo: bool, args, log_dir: Path,
                   command: Callable[[int], list[str]] | None = None, env: dict[str, str] | None = None,
                   ready: str = TRIVIAL):
    """Start the server on the store at ``database_url`` (or ``command(port)``, with ``env`` added
    to its environment) in its own process group; yield (port, pgid) once ``ready`` answers 200;
    always stop the group."""
    port = free_port()
    log = open(log_dir / f"{kind}-{port}.log", "w+b")
    proc = subprocess.Popen(command(port) if command else server_command(kind, port, args),
                            env=server_env(database_url, load_demo) | (env or {}),
                            stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_answering(kind, proc, port, log, ready)
        yield port, proc.pid
    finally:
        _stop(proc)
        log.close()


def wait_until_answering(kind: str, proc: subprocess.Popen, port: int, log, ready: str = TRIVIAL) -> None:
    """Return once the server answers ``ready`` with a 200; RuntimeError (with the log's tail) when
    it exits first or takes longer than READY_TIMEOUT_S."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{kind} exited with {proc.returncode} before answering:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{kind} did not answer {ready} within {READY_TIMEOUT_S} s:\n{_tail(log)}")
        conn = http.client.HTTPConnection(HOST, port, timeout=5)
        try:
            if _get(conn, ready)[0] == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        time.sleep(0.2)


def _tail(log, size: int = 3000) -> str:
    log.flush()
    log.seek(0)
    return log.read()[-size:].decode("utf-8", "replace")


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's process group (gunicorn's workers too), SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            continue
    try:  # workers that outlived their master
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def group_cpu_s(pgid: int) -> float | None:
    """User + system CPU seconds of every live process in the group (Linux /proc), else None."""
    if not os.path.isdir("/proc"):
        return None
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid:  # pgrp; utime, stime are fields 14 and 15 of stat
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _tcp_inode(client_port: int, server_port: int) -> str | None:
    """The inode of the server's end of the loopback connection from ``client_port`` (/proc/net/tcp)."""
    wanted_local, wanted_remote = f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == wanted_local and fields[2] == wanted_remote:
            return fields[9]
    return None


def worker_of(sock: socket.socket, server_port: int, pgid: int) -> int | None:
    """The pid of the server process (gunicorn worker) holding the other end of ``sock``, on Linux."""
    if not os.path.isdir("/proc"):
        return None
    inode = _tcp_inode(sock.getsockname()[1], server_port)
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.getpgid(int(entry)) != pgid:
                continue
            if any(os.readlink(f"/proc/{entry}/fd/{fd}") == target for fd in os.listdir(f"/proc/{entry}/fd")):
                return int(entry)
        except OSError:
            continue
    return None


# -- client ------------------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    seconds: float
    ms: np.ndarray
    statuses: np.ndarray
    nbytes: np.ndarray
    server_cpu_s: float | None
    client_cpu_s: float
    sample_error: str
    #: Requests answered by each server process (pid), from the connection each was sent on.
    per_worker: dict

    @property
    def errors(self) -> int:
        return int((self.statuses != 200).sum())

    @property
    def median(self) -> float:
        return float(np.median(self.ms))


def load_series(port: int, pgid: int, name: str, paths: list[str], concurrency: int) -> Result:
    """Send every path once over ``concurrency`` persistent connections; time each request."""
    n = len(paths)
    ms, statuses, nbytes = np.zeros(n), np.zeros(n, dtype=int), np.zeros(n, dtype=int)
    next_index, lock, errors = iter(range(n)), threading.Lock(), []
    per_worker: dict = {}
    ready = threading.Barrier(concurrency + 1)

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
        mapped, pid = None, None
        try:
            conn.connect()
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            mapped, pid = conn.sock, worker_of(conn.sock, port, pgid)
            ready.wait()
            while True:
                with lock:
                    i = next(next_index, None)
                if i is None:
                    return
                start = time.perf_counter()
                try:
                    status, body = _get(conn, paths[i])
                except (OSError, http.client.HTTPException) as exc:
                    status, body = 0, repr(exc).encode()
                    conn.close()  # reconnect on the next request; this one counts as an error
                ms[i] = (time.perf_counter() - start) * 1000
                statuses[i], nbytes[i] = status, len(body)
                # A new connection (or one the worker had not accepted yet when asked): which worker has it.
                if conn.sock is not None and (conn.sock is not mapped or pid is None):
                    mapped, pid = conn.sock, worker_of(conn.sock, port, pgid)
                with lock:
                    per_worker[pid] = per_worker.get(pid, 0) + 1
                if status != 200 and not errors:
                    errors.append(f"{status} {paths[i]}: {body[:300].decode('utf-8', 'replace')}")
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    ready.wait()
    cpu0, client0, start = group_cpu_s(pgid), time.process_time(), time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    client_cpu, cpu1 = time.process_time() - client0, group_cpu_s(pgid)
    server_cpu = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
    return Result(name, seconds, ms, statuses, nbytes, server_cpu, client_cpu, errors[0] if errors else "",
                  per_worker)


def run_case(kind: str, dataset: str, database_url: Path | str, args, paths: dict, warmup: dict,
             log_dir: Path) -> list[Result]:
    label = f"{kind} / {dataset}"
    started = time.perf_counter()
    with running_server(kind, database_url, dataset == "demo", args, log_dir) as (port, pgid):
        command = server_command(kind, port, args)
        print(f"\n[{label}] server up in {time.perf_counter() - started:.1f} s: "
              + shlex.join([Path(command[0]).name, *command[1:]]))
        for name in ENDPOINTS:
            load_series(port, pgid, name, warmup[name], args.concurrency)
        results = interleaved(port, pgid, ENDPOINTS, paths, args.concurrency, args.rounds)
    report(label, results, args)
    return results


def interleaved(port: int, pgid: int, names, paths: dict, concurrency: int, rounds: int) -> list[Result]:
    """Each endpoint's paths sent in ``rounds`` parts, the endpoints taking turns (trivial, nearby,
    bbox, trivial, ...), so that a slow spell of this shared machine falls on all of them alike;
    each endpoint's parts joined into one result."""
    parts: dict[str, list[Result]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names:
            part = paths[name][r::rounds]
            parts[name].append(load_series(port, pgid, name, part, concurrency))
    return [join(name, parts[name]) for name in names]


def join(name: str, parts: list[Result]) -> Result:
    cpu = [p.server_cpu_s for p in parts]
    per_worker: dict = {}
    for p in parts:
        for pid, n in p.per_worker.items():
            per_worker[pid] = per_worker.get(pid, 0) + n
    return Result(name, sum(p.seconds for p in parts), np.concatenate([p.ms for p in parts]),
                  np.concatenate([p.statuses for p in parts]), np.concatenate([p.nbytes for p in parts]),
                  None if None in cpu else sum(cpu), sum(p.client_cpu_s for p in parts),
                  next((p.sample_error for p in parts if p.sample_error), ""), per_worker)


def report(label: str, results: list[Result], args) -> None:
    base = next(r for r in results if r.name == "trivial").median
    n = len(results[0].ms)
    print(f"[{label}] {n} requests per endpoint, {args.concurrency} connections, after {args.warmup} warm-up "
          f"requests each; {os.cpu_count()} CPUs shared by client and server")
    print(f"  {'endpoint':<8} {'req/s':>7} {'median ms':>10} {'p95 ms':>8} {'errors':>7} {'median/trivial':>15} "
          f"{'server CPU ms/req':>18} {'client CPU ms/req':>18} {'bytes/resp':>11}")
    for r in results:
        server = f"{r.server_cpu_s * 1000 / n:.2f}" if r.server_cpu_s is not None else "n/a"
        print(f"  {r.name:<8} {n / r.seconds:>7.0f} {r.median:>10.2f} {np.percentile(r.ms, 95):>8.2f} {r.errors:>7d} "
              f"{r.median / base:>14.2f}x {server:>18} {r.client_cpu_s * 1000 / n:>18.2f} {r.nbytes.mean():>11.0f}")
    for r in results:
        counts = sorted(r.per_worker.values(), reverse=True)
        print(f"  requests per worker, {r.name}: {', '.join(map(str, counts))} over {len(counts)} process(es)"
              f" (busiest/idlest {counts[0] / max(1, counts[-1]):.2f})")
    for r in results:
        if r.sample_error:
            print(f"  first error of {r.name}: {r.sample_error}")
    for line in REFERENCE:
        print(f"  {line}")
    verdicts = []
    for r in results:
        met = [n / r.seconds >= TARGET_RPS, r.errors == 0, r.median < TARGET_MEDIAN_MS]
        if r.name != "trivial":
            met.append(r.median / base <= TARGET_RATIO)
        verdicts.append(f"{r.name} {'met' if all(met) else 'MISSED'}")
    print(f"  verdict: {', '.join(verdicts)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["demo", "region", "both"], default="both")
    parser.add_argument("--features", type=int, default=100_000, help="points per supply layer (region)")
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per endpoint")
    parser.add_argument("--warmup", type=int, default=100, help="uncounted requests per endpoint first")
    parser.add_argument("--concurrency", type=int, default=8, help="client connections (threads)")
    parser.add_argument("--rounds", type=int, default=5, help="parts each endpoint's requests are sent in, "
                                                              "the endpoints taking turns")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (mapservice serve --threads)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="keep the .gpkg files here (region file reused)")
    parser.add_argument("--postgis", help="also serve the region from this PostGIS database (its public schema "
                                          "is filled with the region's layers; kept when the counts match)")
    args = parser.parse_args()
    if not 1 <= args.requests <= 1_000_000 or not 0 <= args.warmup <= 100_000 or not 1 <= args.concurrency <= 256 \
            or not 1 <= args.rounds <= args.requests:
        parser.error("--requests 1..1,000,000, --warmup 0..100,000, --concurrency 1..256, --rounds 1..requests")
    servers = ["serve"]
    datasets = ["demo", "region"] if args.dataset == "both" else [args.dataset]
    # SIGTERM (e.g. from a CI timeout) unwinds like Ctrl-C, so the server is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    started = time.perf_counter()
    for line in REFERENCE:
        print(line)
    rng = np.random.default_rng(args.seed)
    paths = request_paths(rng, args.requests)
    warmup = request_paths(rng, args.warmup) if args.warmup else {name: [] for name in ENDPOINTS}
    with tempfile.TemporaryDirectory(prefix="http-nearby-") as tmp:
        folder = args.workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        log_dir = Path(tmp)
        summary = []
        for dataset in datasets:
            if dataset == "demo":
                gpkg = folder / "demo.gpkg"
                prepare_demo(gpkg)
            else:
                gpkg = folder / f"region-{args.features}-seed{args.seed}.gpkg"
                prepare_region(gpkg, args.features, args.seed)
            for kind in servers:
                results = run_case(kind, dataset, gpkg, args, paths, warmup, log_dir)
                summary.append((kind, dataset, results))
            if dataset == "region" and args.postgis:
                copy_to_postgis(gpkg, args.postgis)
                for kind in servers:
                    results = run_case(kind, "region on PostGIS", args.postgis, args, paths, warmup, log_dir)
                    summary.append((kind, "region/PostGIS", results))
    if summary:
        print("\nsummary (req/s, median ms, errors, median against the trivial endpoint's):")
        for kind, dataset, results in summary:
            base = next(r for r in results if r.name == "trivial").median
            print(f"  {kind:<9} {dataset:<14} " + "  ".join(
                f"{r.name} {len(r.ms) / r.seconds:.0f} req/s {r.median:.2f} ms {r.errors} err"
                + ("" if r.name == "trivial" else f" ({r.median / base:.2f}x trivial)") for r in results))
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
