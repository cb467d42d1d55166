"""Intake throughput through the real HTTP stack, beside a bare DRF create.

gunicorn (2 sync workers) on 127.0.0.1:8103 against PostgreSQL database appeals_bench3,
2,000 requests from 4 client threads, with 10,000 and then 100,000 appeals already
stored; then the batch endpoint. Prints appeals per second, p50/p95 latency and the
server's memory, and the ratio of the bare create's throughput to the intake's
(target: at most 2).

    make bench                      # or
    .venv/bin/pytest tests/bench/intake.py -s -o python_files='*.py'

BENCH_INTAKE_SIZES=10000 runs only the first size.
"""

import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
HOST, PORT = "127.0.0.1", 8103
DATABASE = "appeals_bench3"
SERVER_URL = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
REQUESTS = 2000
THREADS = 4
BATCH_SIZE = 100
SIZES = [
    int(size)
    for size in os.environ.get("BENCH_INTAKE_SIZES", "10000,100000").split(",")
]
TARGET_RATIO = 2.0

ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "tests.bench.settings_intake",
    "DATABASE_URL": f"{SERVER_URL}/{DATABASE}",
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3"),
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "bench-only-not-a-secret",
    "DJANGO_ALLOWED_HOSTS": HOST,
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "WARNING",
    "PYTHONPATH": str(ROOT),
}
PYTHON = sys.executable


def _manage(*args) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=ENV,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def _recreate_database() -> None:
    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")


def _load(start: int, count: int, integration: str) -> float:
    began = time.perf_counter()
    subprocess.run(
        [PYTHON, "-m", "tests.bench.intake_support.load", str(start), str(count)]
        + [integration],
        cwd=ROOT,
        env=ENV,
        check=True,
    )
    with psycopg.connect(f"{SERVER_URL}/{DATABASE}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - began


class Server:
    def __init__(self):
        gunicorn = shutil.which("gunicorn", path=str(Path(PYTHON).parent))
        self.log = open(ROOT / "var" / "bench-intake-gunicorn.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [gunicorn, "config.wsgi", "--workers", "2", "--bind", f"{HOST}:{PORT}"]
            + ["--env", "DJANGO_SETTINGS_MODULE=tests.bench.settings_intake"],
            cwd=ROOT,
            env=ENV,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                http.client.HTTPConnection(HOST, PORT, timeout=1).request("GET", "/")
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start; see var/bench-intake-gunicorn.log")

    def rss_mib(self) -> float:
        pids = [self.process.pid, *self._children()]
        total_kib = 0
        for pid in pids:
            status = Path(f"/proc/{pid}/status").read_text()
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        return total_kib / 1024

    def _children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def _run(bodies: list[tuple[str, dict, dict]]) -> dict:
    """POST every (path, body, headers) from THREADS threads; latencies in ms."""
    latencies, statuses, lock = [], {}, threading.Lock()
    chunks = [bodies[i::THREADS] for i in range(THREADS)]

    def worker(chunk):
        conn = http.client.HTTPConnection(HOST, PORT, timeout=120)
        for path, body, headers in chunk:
            data = json.dumps(body)
            began = time.perf_counter()
            conn.request(
                "POST",
                path,
                data,
                {"Content-Type": "application/json", **headers},
            )
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[response.status] = statuses.get(response.status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    latencies.sort()
    return {
        "wall": wall,
        "per_second": len(bodies) / wall,
        "p50": statistics.median(latencies),
        "p95": latencies[int(len(latencies) * 0.95) - 1],
        "statuses": statuses,
    }


def _appeal(tag: str, number: int) -> dict:
    received = datetime.now(UTC) - timedelta(hours=2)
    return {
        "external_id": f"{tag}-{number}",
        "line_of_business": "medicare_advantage",
        "kind": "pre_service",
        "priority": "standard",
        "expedite_requested_by": None,
        "received_at": received.isoformat(),
        "channel": "portal",
        "requester": {"type": "provider", "name": "Dr. Ana Lima", "npi": "1234567893"},
        "member": {
            "id": f"{tag[:6]}{number:08d}",
            "name": "Rivera, Maria",
            "birth_date": "1951-02-03",
            "state": "FL",
        },
        "provider": {"npi": "1234567893", "name": "Lima Cardiology"},
        "denial": {
            "notice_date": (received - timedelta(days=10)).date().isoformat(),
            "reason_codes": ["CO-50"],
            "claim_number": f"C-{tag}-{number}",
            "service_codes": ["93458", "J1100"],
            "diagnosis_codes": ["I25.10", "E11.65"],
            "amount": "1830.50",
        },
        "summary": "Cardiac catheterization denied as not medically necessary.",
    }


def _bare(number: int) -> dict:
    return {"name": f"item-{number}", "amount": "1830.50"}


def _print_phase(name: str, result: dict, rss: float, per_item: int = 1):
    print(
        f"  {name:<34} {result['per_second'] * per_item:8.1f} appeals/s   "
        f"p50 {result['p50']:7.1f} ms   p95 {result['p95']:7.1f} ms   "
        f"server RSS {rss:6.1f} MiB   statuses {result['statuses']}"
    )


def test_intake_throughput_beside_a_bare_drf_create():
    (ROOT / "var").mkdir(exist_ok=True)
    _recreate_database()
    _manage("migrate", "--run-syncdb", "--noinput")
    key = _manage("create_integration", "bench").strip()
    auth = {"Authorization": f"Bearer {key}"}
    server = Server()
    ratios = []
    try:
        # Warm both workers: imports, connections, first queries.
        _run([("/bench/bare/", _bare(i), {}) for i in range(100)])
        _run([("/api/v1/appeals/", _appeal("warm", i), auth) for i in range(100)])

        stored = 100
        for size in SIZES:
            seconds = _load(stored, size - stored, "bench")
            stored = size
            print(f"\n{size:,} appeals stored (loaded in {seconds:.0f} s)")

            run_tag = uuid.uuid4().hex[:6]
            bare = _run([("/bench/bare/", _bare(i), {}) for i in range(REQUESTS)])
            _print_phase("bare DRF create (one table)", bare, server.rss_mib())

            bodies = [
                (
                    "/api/v1/appeals/",
                    _appeal(run_tag, i),
                    {**auth, "Idempotency-Key": f"{run_tag}-{i}"},
                )
                for i in range(REQUESTS)
            ]
            single = _run(bodies)
            _print_phase("intake POST /api/v1/appeals/", single, server.rss_mib())
            assert single["statuses"] == {201: REQUESTS}

            batch_tag = uuid.uuid4().hex[:6]
            batches = [
                (
                    "/api/v1/appeals/batch/",
                    {
                        "appeals": [
                            _appeal(batch_tag, b * BATCH_SIZE + i)
                            for i in range(BATCH_SIZE)
                        ]
                    },
                    {**auth, "Idempotency-Key": f"{batch_tag}-{b}"},
                )
                for b in range(REQUESTS // BATCH_SIZE)
            ]
            batch = _run(batches)
            _print_phase(
                f"intake batch ({BATCH_SIZE} per request)",
                batch,
                server.rss_mib(),
                BATCH_SIZE,
            )
            assert batch["statuses"] == {200: REQUESTS // BATCH_SIZE}
            stored += 2 * REQUESTS

            ratio = bare["per_second"] / single["per_second"]
            ratios.append(ratio)
            verdict = "within" if ratio <= TARGET_RATIO else "OVER"
            print(
                f"  bare/intake throughput ratio {ratio:.2f} "
                f"({verdict} the {TARGET_RATIO:.0f}x target)"
            )
            batch_ratio = bare["per_second"] / (batch["per_second"] * BATCH_SIZE)
            print(f"  bare/batch appeals-per-second ratio {batch_ratio:.2f}")
    finally:
        server.stop()

    assert len(ratios) == len(SIZES)
