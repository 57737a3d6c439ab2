"""Concurrent gradio_client conversations against the web page on loopback.

    python benchmarks/bench_web.py --clients 20
    python benchmarks/bench_web.py --clients 50 --embedder hash
    python benchmarks/bench_web.py --url http://127.0.0.1:7860/ --clients 20   # a server already running
    python benchmarks/bench_web.py --clients 50 --workers 1 2   # nginx + N workers sharing PostgreSQL
    python benchmarks/bench_web.py --clients 50 --workers 1 2 --client gradio   # gradio_client as the load

Without --url it serves the page in a child process (the real Assistant over corpus/, its index
and store in a temporary folder) so that clients and server do not share one interpreter.
Each client holds its own conversation of --turns messages and reports a red flag at a turn of its
own; cross-talk shows as a red flag seen before that turn, or missing after it.
Prints errors, cross-talk, and p50/p95/max round-trip times; exits 1 on any error or cross-talk.
With --workers, each count in turn runs that many workers behind Debian's nginx (the repository's
deploy/nginx/kneebot.conf, started as tests/webfarm.py does) on one PostgreSQL (tests/pgserver.py),
and the turns per second and p95 of each are printed side by side with the ratio to the first.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RED_FLAG = "my knee gave way and I can't put weight on it"
BENIGN = (
    "I feel a pull behind my knee when I stretch",
    "no",
    "it's right behind the knee",
    "skip",
    "when I straighten my leg",
    "no",
    "it eases when I bend the knee",
    "what is a Baker's cyst?",
    "ok",
    "thanks",
)


@dataclass
class Result:
    """One client's conversation."""

    client: int
    flag_turn: int | None
    times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    crosstalk: list[str] = field(default_factory=list)


def serve(port: int, embedder: str, concurrency: int, db: str | None = None, index: str | None = None) -> None:
    """Child process: build and serve the page until killed."""
    sys.path.insert(0, str(REPO))
    from bot import Assistant
    from bot.config import Settings
    from bot.guidance.embedding import HashEmbedder
    from ui.web import build_app, launch

    state = Path(tempfile.mkdtemp(prefix="kneebot-bench-"))
    settings = Settings(index_dir=Path(index) if index else state / "index", db_path=db or state / "kneebot.sqlite3")
    assistant = Assistant.load(settings=settings, embedder=HashEmbedder() if embedder == "hash" else None)
    # The limiter would refuse a benchmark client's back-to-back turns; this measures serving capacity.
    launch(build_app(assistant, concurrency_limit=concurrency, rate_limits=False), port=port, block=True)


def converse(url: str, index: int, turns: int, barrier: threading.Barrier, out: list[Result],
             light: bool = False) -> None:
    """One client: connect, wait for the others, then hold a conversation (gradio_client, or LightClient)."""
    from gradio_client import Client

    # Half the clients report a red flag, each at a turn of its own; the others never do.
    flag_turn = 1 + index % (turns - 1) if index % 2 == 0 else None
    result = Result(index, flag_turn)
    out.append(result)
    try:
        # Plain http on loopback: with verification on, httpx loads the CA bundle for every request
        # (about 40 ms of CPU each), which would measure the load generator rather than the page.
        client = LightClient(url) if light else Client(url, verbose=False, download_files=False,
                                                        ssl_verify=url.startswith("https:"))
    except Exception as exc:  # a benchmark counts failures rather than stopping at the first
        result.errors.append(f"connect: {exc}")
        barrier.wait()
        return
    barrier.wait()
    for turn in range(turns):
        message = RED_FLAG if turn == flag_turn else BENIGN[turn % len(BENIGN)]
        start = time.perf_counter()
        try:
            reply = client.predict(message) if light else client.predict(message, api_name="/chat")
        except Exception as exc:
            result.errors.append(f"turn {turn}: {exc}")
            continue
        result.times.append(time.perf_counter() - start)
        flagged = bool(reply.get("red_flags")) or reply.get("triage") != "self_care"
        expected = flag_turn is not None and turn >= flag_turn
        if flagged != expected:
            result.crosstalk.append(f"turn {turn}: triage={reply.get('triage')} red_flags={reply.get('red_flags')}"
                                    f" but this client's own red flag is {'in' if expected else 'not in'}")
    client.close()


class LightClient:
    """A lean load generator for one conversation: Gradio's own HTTP API for the page's `chat` endpoint
    (POST `gradio_api/call/chat` with this client's session hash, then read the event's stream), on one
    kept-alive stdlib connection, with the cookie nginx sets for stickiness sent back. It speaks the
    same protocol as gradio_client's `predict` but costs a fraction of its CPU, so that on a small
    machine the clients leave the cores to the workers being measured."""

    def __init__(self, url: str) -> None:
        import http.client
        import urllib.parse
        import uuid

        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.prefix = parts.path.rstrip("/") + "/gradio_api/call/chat"
        self.session = uuid.uuid4().hex[:11]
        self.cookie = ""
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)

    def _request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        import http.client

        headers = {"Content-Type": "application/json"} if body is not None else {}
        if self.cookie:
            headers["Cookie"] = self.cookie
        for attempt in (1, 2):  # a kept-alive connection the server closed is opened again once
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                if attempt == 2:
                    raise
        for value in response.headers.get_all("Set-Cookie") or []:
            if value.startswith("kneebot_worker="):
                self.cookie = value.split(";", 1)[0]
        return response.status, response.read()

    def predict(self, message: str) -> dict:
        import json

        status, body = self._request("POST", self.prefix, json.dumps(
            {"data": [message], "session_hash": self.session}).encode())
        if status != 200:
            raise RuntimeError(f"join: HTTP {status}: {body[:200]!r}")
        event_id = json.loads(body)["event_id"]
        status, body = self._request("GET", f"{self.prefix}/{event_id}")
        if status != 200:
            raise RuntimeError(f"stream: HTTP {status}: {body[:200]!r}")
        event = None
        for line in body.decode().splitlines():
            if line.startswith("event: "):
                event = line[7:].strip()
            elif line.startswith("data: ") and event in ("complete", "error"):
                data = json.loads(line[6:])
                if event == "error":
                    raise RuntimeError(f"error event: {data}")
                return data[0]
        raise RuntimeError(f"no completion in the stream: {body[:200]!r}")

    def close(self) -> None:
        self.conn.close()


def cpu_seconds(pid: int) -> float | None:
    """CPU time a process has used so far (Linux /proc), or None where that is not readable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run_clients(url: str, clients: int, turns: int, server_pids: list[int],
                light: bool = False) -> tuple[list[Result], float, float, float]:
    """All clients against url at once: their results, the wall time, and server and client CPU seconds."""
    results: list[Result] = []
    # Everyone connects first; the clock starts when the last client is connected.
    barrier = threading.Barrier(clients + 1)
    threads = [threading.Thread(target=converse, args=(url, i, turns, barrier, results, light)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    server_cpu = sum(cpu_seconds(pid) or 0.0 for pid in server_pids)
    client_cpu = time.process_time()
    wall = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - wall
    return (results, wall, sum(cpu_seconds(pid) or 0.0 for pid in server_pids) - server_cpu,
            time.process_time() - client_cpu)


def compare_workers(args: argparse.Namespace) -> int:
    """Each worker count behind nginx on one PostgreSQL: turns/s and p95 side by side."""
    sys.path.insert(0, str(REPO / "tests"))
    from pgserver import start
    from webfarm import start_farm

    pg = start()
    index = Path(tempfile.mkdtemp(prefix="kneebot-bench-index-")) / "index"
    if args.embedder == "real":  # built once, as an operator would; hash workers build their own
        subprocess.run([sys.executable, "-m", "bot.cli", "index"], check=True, cwd=REPO, capture_output=True,
                       env={**os.environ, "KNEEBOT_INDEX": str(index)})
    rows = []
    failed = False
    try:
        for workers in args.workers:
            db = pg.create_database()

            def command(port: int, db: str = db) -> list[str]:
                return [sys.executable, __file__, "--serve", "--port", str(port), "--embedder", args.embedder,
                        "--concurrency", str(args.concurrency), "--db", db,
                        *(["--index", str(index)] if args.embedder == "real" else [])]
            farm = start_farm({"GRADIO_ANALYTICS_ENABLED": "False", "OMP_NUM_THREADS": "1"}, workers, command)
            try:
                pids = [p.pid for p in farm.workers.values()]
                results, wall, server_cpu, client_cpu = run_clients(farm.url, args.clients, args.turns, pids,
                                                                    args.client == "light")
            finally:
                farm.stop()
            times = [t for r in results for t in r.times]
            bad = sum(len(r.errors) + len(r.crosstalk) for r in results)
            failed |= bad > 0 or not times
            rows.append((workers, len(times) / wall, percentile(times, 0.95) * 1000 if times else float("nan"),
                         percentile(times, 0.5) * 1000 if times else float("nan"), bad,
                         server_cpu / max(1, len(times)) * 1000, client_cpu / max(1, len(times)) * 1000))
    finally:
        pg.stop()
    print(f"clients={args.clients} ({args.client}) turns={args.turns} embedder={args.embedder} "
          f"concurrency_limit={args.concurrency} cpus={os.cpu_count()} load_average={os.getloadavg()[0]:.1f} "
          f"(nginx + PostgreSQL)")
    print("workers  turns/s  ratio  p50 ms  p95 ms  worker cpu ms/turn  client cpu ms/turn  errors+crosstalk")
    for workers, rate, p95, p50, bad, cpu, ccpu in rows:
        print(f"{workers:7d}  {rate:7.1f}  {rate / rows[0][1]:5.2f}  {p50:6.0f}  {p95:6.0f}  {cpu:18.1f}  {ccpu:18.1f}"
              f"  {bad:16d}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--url", help="benchmark a server that is already running instead of starting one")
    parser.add_argument("--port", type=int, default=7899)
    parser.add_argument("--embedder", choices=("real", "hash"), default="real",
                        help="the embedding model the started server uses (default: the real one)")
    parser.add_argument("--concurrency", type=int, default=4, help="build_app's concurrency_limit")
    parser.add_argument("--workers", type=int, nargs="+", metavar="N",
                        help="compare these worker counts behind nginx on one PostgreSQL (e.g. 1 2)")
    parser.add_argument("--client", choices=("gradio", "light"),
                        help="the load generator: gradio_client, or a lean client of the same HTTP API (the "
                             "default with --workers, where the clients share the machine with the workers)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--index", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client is None:
        args.client = "light" if args.workers else "gradio"
    if args.serve:
        serve(args.port, args.embedder, args.concurrency, args.db, args.index)
        return 0
    if args.workers:
        return compare_workers(args)

    server = None
    url = args.url or f"http://127.0.0.1:{args.port}/"
    if not url.endswith("/"):
        url += "/"
    if args.url is None:
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--port", str(args.port), "--embedder", args.embedder,
             "--concurrency", str(args.concurrency)],
            env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
        )
    sys.path.insert(0, str(REPO / "tests"))
    from webfarm import FarmUnavailable, wait_for  # the same wait the web-farm tests use

    try:
        try:
            wait_for(url, 300, server)
        except FarmUnavailable as exc:
            raise SystemExit(str(exc)) from None
        results, wall, measured_cpu, client_cpu = run_clients(url, args.clients, args.turns,
                                                               [server.pid] if server else [], args.client == "light")
        server_cpu = measured_cpu if server is not None and cpu_seconds(server.pid) is not None else None
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)

    times = [t for r in results for t in r.times]
    errors = [f"client {r.client} {e}" for r in results for e in r.errors]
    crosstalk = [f"client {r.client} {c}" for r in results for c in r.crosstalk]
    print(f"clients={args.clients} turns={args.turns} embedder={args.embedder if server else 'external'} "
          f"concurrency_limit={args.concurrency if server else '?'} cpus={os.cpu_count()} "
          f"load_average={os.getloadavg()[0]:.1f}")
    print(f"requests={len(times)} errors={len(errors)} crosstalk={len(crosstalk)} wall={wall:.1f}s")
    if times:
        p50, p95 = percentile(times, 0.5) * 1000, percentile(times, 0.95) * 1000
        print(f"round-trip ms: p50={p50:.0f} p95={p95:.0f} max={max(times) * 1000:.0f} "
              f"mean={statistics.fmean(times) * 1000:.0f}")
    if times:
        cpu = f"clients {client_cpu / len(times) * 1000:.0f} ms"
        if server is not None and server_cpu is not None:
            cpu = f"server {server_cpu / len(times) * 1000:.0f} ms, " + cpu
        print(f"cpu per request: {cpu}")
    for line in (errors + crosstalk)[:10]:
        print("  ", line)
    return 1 if errors or crosstalk or not times else 0


if __name__ == "__main__":
    raise SystemExit(main())
