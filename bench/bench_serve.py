"""Benchmark: 200 concurrent signed-in sessions reading their reports from the portal over loopback.

Target (issue 17): p95 page time under 200 ms on two cores, and zero errors. The portal runs as
``oneonone serve`` (uvicorn, one process) on a free loopback port; ``oneonone serve invite`` writes
one link per session; each session signs in by its link (its own cookie jar and connection), then
reads its list of reports and every report of its audience, ``--rounds`` times, all sessions at
once. Sessions are managers, leaders and analysts in the proportions of the access table built here
(every audience of the release in turn). The sessions start when the portal says its pages are
ready (``--cold``: at once, while it still renders them). Prints p50, p95 and max page time,
throughput, the server's CPU time and errors.

Run from the repository root, with the test extra (httpx2) installed::

    nice -n 10 .venv/bin/python bench/bench_serve.py [--release out/demo] [--sessions 200] [--rounds 5]

Without ``--release`` it uses ``out/demo`` (``make demo``) when there, else a release of the
sample's four waves built into a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
COOKIE = "oneonone_session"
SURVEY = ROOT / "surveys" / "one_on_one_pulse.yaml"
UNITS = ROOT / "data" / "sample" / "units.csv"
BIN = Path(sys.executable).parent


def _release(tmp: Path) -> Path:
    import toolkit
    from toolkit.privacy.disclosure import load_policy
    from toolkit.privacy.publish import Published, write_release

    demo = ROOT / "out" / "demo" / "release.parquet"
    if demo.is_file():
        return demo.parent
    survey = toolkit.load_survey(SURVEY)
    units = pd.read_csv(UNITS)
    sample = ROOT / "data" / "sample"
    valid = pd.concat(
        [
            toolkit.validate(toolkit.read_canonical(p), survey).valid
            for p in sorted(sample.glob("responses_*.csv"))
        ],
        ignore_index=True,
    )
    roster = pd.read_csv(sample / "roster.csv")
    invited = roster.groupby(["team", "wave"]).size().rename("invited").reset_index()
    rel = toolkit.release(valid, survey, units, invited=invited)
    notes = toolkit.release_comments(valid, survey, units, roster=roster)
    write_release(Published(rel, notes, load_policy()), tmp / "release")
    return tmp


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process so far (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Connection:
    """One keep-alive HTTP/1.1 connection with its own cookie: a lean client (a few tens of
    microseconds per request), so that the figures measure the server rather than the client."""

    def __init__(self, port: int) -> None:
        self.port, self.cookie = port, None
        self.reader = self.writer = None

    async def get(self, path: str) -> tuple[int, dict, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        cookie = f"Cookie: {COOKIE}={self.cookie}\r\n" if self.cookie else ""
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{cookie}\r\n".encode("latin-1"))
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers.setdefault(k.strip().lower(), v.strip())
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if "set-cookie" in headers and headers["set-cookie"].startswith(COOKIE + "="):
            self.cookie = headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]
        return status, headers, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _session(conn, link: str, pages: list[str], rounds: int, think: float, times, errors) -> None:
    import random

    status, _, _ = await conn.get(link)
    if status != 303 or not conn.cookie:
        errors.append(("signin", status))
        return
    for rnd in range(rounds):
        for path in ["/", *pages]:
            if think:
                await asyncio.sleep(random.uniform(0, 2 * think))
            start = time.perf_counter()
            try:
                status, _, body = await conn.get(path)
                ok = status == 200 and len(body) > 1000
            except Exception as exc:  # a refused or dropped connection counts as an error
                ok, status = False, repr(exc)
                conn.close()
                conn.writer = None
            times.append((rnd, time.perf_counter() - start))
            if not ok:
                errors.append((path, status))


async def _run(port: int, links: pd.DataFrame, pages: dict[str, list[str]], rounds: int, think: float):
    times: list = []
    errors: list = []
    conns = [_Connection(port) for _ in range(len(links))]
    base = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    await asyncio.gather(
        *[
            _session(c, link.removeprefix(base), pages[email], rounds, think, times, errors)
            for c, email, link in zip(conns, links["email"], links["link"], strict=True)
        ]
    )
    wall = time.perf_counter() - start
    for c in conns:
        c.close()
    return times, errors, wall


def _line(what: str, secs: np.ndarray, wall: float | None = None) -> str:
    ms = secs * 1000
    text = (
        f"{what}: {len(ms)} requests, p50 {np.percentile(ms, 50):.1f} ms, "
        f"p95 {np.percentile(ms, 95):.1f} ms, max {ms.max():.1f} ms"
    )
    if wall is not None:
        text += f", throughput {len(ms) / wall:.0f} requests/s"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", type=Path, default=None, help="release file or folder [out/demo]")
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--cold",
        action="store_true",
        help="start at once, while the portal is still rendering its pages (default: wait until they are)",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a person reads before the next page (uniform 0 to twice this); 0: none, "
        "every session asks again as soon as it has its page",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        release = args.release or _release(tmp)
        from toolkit.serve.catalog import find_releases

        frame = pd.read_parquet(find_releases([release])[-1], columns=["audience", "wave"]).astype("str")
        waves = sorted(frame["wave"].unique())
        audiences = sorted(frame["audience"].unique())
        order = (
            ["analyst"]
            + [a for a in audiences if a.startswith("leader:")]
            + [a for a in audiences if a.startswith("manager:")]
        )
        people = [(f"person{i:03d}@example.org", order[i % len(order)]) for i in range(args.sessions)]
        access = tmp / "access.csv"
        pd.DataFrame(people, columns=["email", "audience"]).to_csv(access, index=False)
        # a session reads every wave's report of its audience (an analyst: the heatmap of each wave)
        pages = {e: [f"/reports/{w}/{a}" for w in waves] for e, a in people}

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        db = tmp / "portal.db"
        oneonone = str(BIN / "oneonone")
        subprocess.run(
            [oneonone, "serve", "invite", "--access", access, "--db", db, "--base-url", base,
             "--out", tmp / "links.csv"],
            check=True, capture_output=True,
        )  # fmt: skip
        server = subprocess.Popen(
            [oneonone, "serve", "--release", release, "--survey", SURVEY, "--units", UNITS,
             "--access", access, "--db", db, "--port", str(port), "--signin-rate", "100000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        log: list[str] = []
        ready = threading.Event()

        def read_log() -> None:
            for raw in server.stderr:
                log.append(raw.decode(errors="replace").rstrip())
                if "pages ready" in log[-1]:
                    ready.set()

        threading.Thread(target=read_log, daemon=True).start()
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    if args.cold or ready.wait(0.2):
                        break
                except OSError:
                    time.sleep(0.2)
                if server.poll() is not None or time.monotonic() > deadline:
                    print("\n".join(log), file=sys.stderr)
                    return 1
            if not args.cold:
                print(next(line for line in log if "pages ready" in line).split(":", 1)[1].strip())
            links = pd.read_csv(tmp / "links.csv")
            print(
                f"{args.sessions} sessions ({sum(a == 'analyst' for _, a in people)} analysts, "
                f"{sum(a.startswith('leader:') for _, a in people)} leaders, "
                f"{sum(a.startswith('manager:') for _, a in people)} managers), {len(waves)} waves, "
                f"{args.rounds} rounds of 1 list + {len(waves)} reports; {os.cpu_count()} cores; "
                "uvicorn, 1 process"
            )
            cpu = _cpu_seconds(server.pid)
            times, errors, wall = asyncio.run(_run(port, links, pages, args.rounds, args.think))
            cpu = _cpu_seconds(server.pid) - cpu
        finally:
            server.terminate()
            server.wait(10)
    secs = np.array([t for _, t in times])
    later = np.array([t for r, t in times if r > 0])
    print(_line("all requests", secs, wall))
    if args.cold and len(later):
        print(_line("rounds 2+ (pages rendered by then)", later))
    print(
        f"server CPU while the sessions ran: {cpu:.1f} s, "
        f"{1000 * cpu / max(len(secs), 1):.2f} ms per request; wall {wall:.1f} s"
    )
    print(f"errors: {len(errors)}" + (f" (first: {errors[:3]})" if errors else ""))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
