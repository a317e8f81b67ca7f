"""HTTP load on the demo county: does the web tier hold 200 clients, and what does it cost?

For each backend (SQLite in one process; PostgreSQL with ``--pg-workers`` uvicorn workers) in a
fresh temporary ``CITYBRAIN_HOME`` (and a fresh PostgreSQL schema): ``citybrain init``, the demo
county 620722, a bench analyst, ``citybrain serve`` on 127.0.0.1, a login, and then ``hey``
(Debian package ``hey``) on three routes at once — the catalog list, a region's children and a
person profile (masked, audited):

(a) burst: 200 clients in all as fast as they can for ``--duration`` s; failed requests
    (non-2xx and client errors such as timeouts) are counted;
(b) polling: 200 clients each asking once a second (``hey -q 1``), i.e. 200 req/s offered;
    p95 latency;
(c) ``/api/health`` probed every 0.2 s during the burst, and health plus a region read probed
    for 5 s after it ends: how long until the answers are back to normal;
(d) a bare FastAPI hello (sync handler, one uvicorn process) under the same burst, for the
    ratio.

Goal: no failed request, p95 ≤ 250 ms at 200 req/s offered, back to normal within 5 s.
Run by hand (not in the test suite); only 127.0.0.1 is ever contacted:

    PYTHONPATH=src .venv/bin/python bench/bench_http_load.py [--duration 60] \
        [--backend sqlite|postgresql|both] [--pg-url postgresql+psycopg://...@127.0.0.1/test] \
        [--src path/to/another/checkout/src]

``--src`` serves another checkout's code with the same load (say the commit before a change,
exported with ``git worktree add``), so that two versions can be measured side by side on a
machine whose load changes; the load average is printed with every phase for the same reason.
"""

# ruff: noqa: S603 - runs our own CLI, python and hey with arguments it builds itself
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COUNTY = "620722"
CLIENTS = 200
PASSWORD = "Cb-bench-2026!load"  # noqa: S105 - a throwaway account in a temporary home
USERNAME = "bench_analyst"

SEED = textwrap.dedent(
    f"""
    from citybrain.cli.context import cli_session, console, settings
    from citybrain.demo import load_demo
    from citybrain.iam import service

    with cli_session() as session:
        load_demo(session, settings(), console=console)
    with cli_session() as session:
        analyst_id = service.create_user(session, username={USERNAME!r}, password={PASSWORD!r},
                                         region_code={COUNTY!r}, roles=["analyst"],
                                         must_change_password=False).id
    with cli_session() as session:  # an inbox of 50 messages for the inbox list
        from citybrain.core.scope import Scope
        from citybrain.messages import service as messages
        from citybrain.messages.audience import Audience
        for n in range(50):
            messages.send(session, scope=Scope.system(), sender=None,
                          audience=Audience(users=(analyst_id,)),
                          title=f"通知 {{n}}", body="压测消息", kind="notice")
    """
)

HELLO = textwrap.dedent(
    """
    import sys
    import uvicorn
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
    """
)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str, *, token: str = "", body: Any = None, timeout: float = 20) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - 127.0.0.1
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None


def wait_until_up(url: str, process: subprocess.Popen[bytes], limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            if fetch(url, timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not come up")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # its own group: uvicorn and its workers
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


@dataclass
class HeyResult:
    route: str
    requests: int = 0
    ok: int = 0
    errors: int = 0  # client-side: timeouts, resets
    rps: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    slowest: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return self.requests - self.ok + self.errors


def parse_hey(route: str, out: str) -> HeyResult:
    result = HeyResult(route)
    if m := re.search(r"Requests/sec:\s+([\d.]+)", out):
        result.rps = float(m.group(1))
    if m := re.search(r"Slowest:\s+([\d.]+)", out):
        result.slowest = float(m.group(1))
    for pct, attr in (("50", "p50"), ("95", "p95"), ("99", "p99")):
        if m := re.search(rf"\s{pct}% in ([\d.]+) secs", out):
            setattr(result, attr, float(m.group(1)))
    for code, count in re.findall(r"\[(\d{3})\]\s+(\d+) responses", out):
        result.statuses[code] = int(count)
        result.requests += int(count)
        if code.startswith("2"):
            result.ok += int(count)
    errors = out.split("Error distribution:", 1)
    if len(errors) == 2:
        result.errors = sum(int(n) for n in re.findall(r"^\s+\[(\d+)\]", errors[1], re.M))
    return result


def hey(route: str, url: str, *, token: str, clients: int, seconds: int, qps: float = 0) -> Any:
    command = ["hey", "-z", f"{seconds}s", "-c", str(clients), "-t", "20"]
    if qps:
        command += ["-q", str(qps)]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    process = subprocess.Popen([*command, url], stdout=subprocess.PIPE, text=True)
    return route, process


def run_hey_set(targets: dict[str, str], *, token: str, seconds: int, qps: float = 0) -> list[Any]:
    """The routes at once, the 200 clients shared between them."""
    share = [CLIENTS // len(targets) + (i < CLIENTS % len(targets)) for i in range(len(targets))]
    started = [
        hey(route, url, token=token, clients=n, seconds=seconds, qps=qps)
        for (route, url), n in zip(targets.items(), share, strict=True)
    ]
    return started


def collect(started: list[Any]) -> list[HeyResult]:
    return [parse_hey(route, process.communicate()[0]) for route, process in started]


class Prober(threading.Thread):
    """GETs ``url`` every ``every`` s and records (seconds since start, status, latency)."""

    def __init__(self, url: str, token: str = "", every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.url, self.token, self.every = url, token, every
        self.samples: list[tuple[float, int, float]] = []
        self.halt = threading.Event()
        self.t0 = time.monotonic()

    def run(self) -> None:
        while not self.halt.is_set():
            began = time.monotonic()
            try:
                status = fetch(self.url, token=self.token, timeout=10)[0]
            except OSError:
                status = 0
            self.samples.append((began - self.t0, status, time.monotonic() - began))
            self.halt.wait(max(0.0, self.every - (time.monotonic() - began)))


def summarise_probe(samples: list[tuple[float, int, float]]) -> dict[str, Any]:
    if not samples:
        return {"probes": 0}
    latencies = sorted(s[2] for s in samples)
    return {
        "probes": len(samples),
        "failed": sum(1 for s in samples if s[1] != 200),
        "p50_ms": round(1000 * statistics.median(latencies), 1),
        "max_ms": round(1000 * latencies[-1], 1),
    }


def after_burst(base: str, token: str, region_url: str) -> dict[str, Any]:
    """Probe for 5 s after the burst; 'normal' = health and a region read both 200 in < 250 ms."""
    t0 = time.monotonic()
    first_normal: float | None = None
    rows = []
    while time.monotonic() - t0 < 5:
        began = time.monotonic()
        health = fetch(f"{base}/api/health", timeout=5)[0]
        region = fetch(region_url, token=token, timeout=5)[0]
        took = time.monotonic() - began
        rows.append((round(began - t0, 2), health, region, round(1000 * took, 1)))
        if first_normal is None and health == region == 200 and took < 0.25:
            first_normal = began - t0
        time.sleep(0.25)
    return {
        "normal_after_s": None if first_normal is None else round(first_normal, 2),
        "probes": rows[:6],
    }


def load() -> str:
    """The machine's load average now: other work on it changes every figure."""
    one, five, _ = os.getloadavg()
    return f"(load average {one:.1f} / {five:.1f})"


def make_pg_schema(url: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    schema = f"cbbench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    joiner = "&" if "?" in url else "?"
    return schema, f"{url}{joiner}options=-csearch_path%3D{schema}"


def drop_pg_schema(url: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def bench_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix=f"citybrain-bench-{backend}-"))
    env = {
        **os.environ,
        "CITYBRAIN_HOME": str(home),
        "CITYBRAIN_ENVIRONMENT": "development",
        "CITYBRAIN_DATA_DIR": str(args.data_dir),
        "PYTHONPATH": str(args.src),
    }
    env.pop("CITYBRAIN_DATABASE_URL", None)
    schema = ""
    workers = 1
    if backend == "postgresql":
        schema, env["CITYBRAIN_DATABASE_URL"] = make_pg_schema(args.pg_url)
        env["CITYBRAIN_DB_SLOTS"] = str(args.pg_slots)
        workers = args.pg_workers
    server = hello = None
    try:
        print(f"[{backend}] init + demo county in {home} ...", flush=True)
        subprocess.run([BIN / "citybrain", "init"], env=env, check=True, capture_output=True)
        subprocess.run([sys.executable, "-c", SEED], env=env, check=True, capture_output=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = [BIN / "citybrain", "serve", "--port", str(port), "--workers", str(workers)]
        server = subprocess.Popen(
            command, env=env, start_new_session=True, stdout=subprocess.DEVNULL
        )
        wait_until_up(f"{base}/api/health", server)
        status, login = fetch(
            f"{base}/api/v1/iam/login", body={"username": USERNAME, "password": PASSWORD}
        )
        require(status == 200, f"login answered {status}")
        token = login["token"]
        status, persons = fetch(f"{base}/api/v1/masterdata/persons?size=1", token=token)
        require(status == 200, f"person search answered {status}")
        person = persons["items"][0]["master_id"]
        targets = {
            "catalog list": f"{base}/api/v1/catalog/resources",
            "region children": f"{base}/api/v1/regions/{COUNTY}/children",
            "person profile": f"{base}/api/v1/masterdata/persons/{person}",
        }
        if args.routes == "lists":  # the list endpoints added since, for the same load
            targets = {
                "job runs": f"{base}/api/v1/jobs/runs",
                "data sources": f"{base}/api/v1/datasources",
                "job schedules": f"{base}/api/v1/jobs/schedules",
                "CKAN package_list": f"{base}/api/3/action/package_list",
                # 人口 (percent-encoded for hey): global search over the demo catalog
                "global search": f"{base}/api/v1/search?q=%E4%BA%BA%E5%8F%A3",
                "inbox list": f"{base}/api/v1/messages/inbox",
                "board data": f"{base}/api/v1/boards/economy-society/data",
                "board navigation": f"{base}/api/v1/boards",
                "warnings list": f"{base}/api/v1/indicators/warnings",
                "events list": f"{base}/api/v1/events",
            }
        for route, url in targets.items():
            require(fetch(url, token=token)[0] == 200, f"{route} does not answer 200")

        print(f"[{backend}] (a) burst {CLIENTS} clients x {args.duration}s {load()}", flush=True)
        probe = Prober(f"{base}/api/health")
        probe.start()
        burst = collect(run_hey_set(targets, token=token, seconds=args.duration))
        probe.halt.set()
        probe.join()
        recovery = after_burst(base, token, next(iter(targets.values())))

        print(
            f"[{backend}] (b) {CLIENTS} clients polling 1/s x {args.duration}s {load()}",
            flush=True,
        )
        polling = collect(run_hey_set(targets, token=token, seconds=args.duration, qps=1))

        print(f"[{backend}] (d) bare FastAPI hello {load()}", flush=True)
        hello_port = free_port()
        hello = subprocess.Popen(
            [sys.executable, "-c", HELLO, str(hello_port)], start_new_session=True
        )
        wait_until_up(f"http://127.0.0.1:{hello_port}/hello", hello)
        bare = collect(
            [
                hey(
                    "hello",
                    f"http://127.0.0.1:{hello_port}/hello",
                    token="",
                    clients=CLIENTS,
                    seconds=args.duration,
                )
            ]
        )[0]
        return {
            "backend": backend,
            "workers": workers,
            "burst": burst,
            "health_during_burst": summarise_probe(probe.samples),
            "after_burst": recovery,
            "polling": polling,
            "hello": bare,
        }
    finally:
        for process in (server, hello):
            if process is not None:
                stop(process)
        if schema:
            drop_pg_schema(args.pg_url, schema)
        shutil.rmtree(home, ignore_errors=True)


def report(result: dict[str, Any]) -> str:
    burst: list[HeyResult] = result["burst"]
    polling: list[HeyResult] = result["polling"]
    hello: HeyResult = result["hello"]
    lines = [
        f"### {result['backend']} ({result['workers']} worker(s))",
        "",
        "| route | (a) burst req/s | (a) failed / total | (a) p95 ms "
        "| (b) polling req/s | (b) p95 ms | (b) failed |",
        "|---|---|---|---|---|---|---|",
    ]
    for a, b in zip(burst, polling, strict=True):
        lines.append(
            f"| {a.route} | {a.rps:.0f} | {a.failed} / {a.requests + a.errors} "
            f"| {1000 * a.p95:.0f} | {b.rps:.0f} | {1000 * b.p95:.0f} | {b.failed} |"
        )
    total_rps = sum(a.rps for a in burst)
    lines += [
        "",
        f"- burst total {total_rps:.0f} req/s; bare FastAPI hello {hello.rps:.0f} req/s "
        f"(failed {hello.failed}) — ratio {total_rps / hello.rps:.2f}"
        if hello.rps
        else "",
        f"- `/api/health` during the burst: {result['health_during_burst']}",
        f"- after the burst: back to normal after {result['after_burst']['normal_after_s']} s; "
        f"first probes (t, health, region, ms): {result['after_burst']['probes']}",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds per hey run")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "CITYBRAIN_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--pg-workers", type=int, default=2)
    parser.add_argument(
        "--routes",
        choices=("core", "lists"),
        default="core",
        help="core: catalog list, region children, person profile; lists: job runs, data"
        " sources, job schedules, CKAN package_list and the inbox list",
    )
    parser.add_argument("--pg-slots", type=int, default=12, help="CITYBRAIN_DB_SLOTS per worker")
    parser.add_argument(
        "--src",
        type=Path,
        default=ROOT / "src",
        help="the source tree to serve (another checkout's src, for a side-by-side run)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("CITYBRAIN_DATA_DIR", ROOT.parent / "shared" / "data")),
    )
    args = parser.parse_args()
    if shutil.which("hey") is None:
        raise SystemExit("hey is not installed (make setup, or apt-get install hey)")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    print(
        f"started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"serving {args.src} {load()}",
        flush=True,
    )
    for backend in backends:
        print(report(bench_backend(backend, args)), flush=True)
    print(f"finished {datetime.now(UTC):%Y-%m-%d %H:%M} UTC {load()}", flush=True)


if __name__ == "__main__":
    main()
