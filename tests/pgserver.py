"""A throwaway PostgreSQL server for the tests: Debian's initdb and pg_ctl on 127.0.0.1, a free port, a
temporary folder, password authentication. PostgreSQL refuses to run as root, so as root the server
runs as an unprivileged user made for it (`kneebot-pg`); anyone else runs it as themselves.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")
TEST_USER = "kneebot-pg"
SUPERUSER = "kneebot"
PASSWORD = "kneebot-test-password"


class PgUnavailable(Exception):
    """The test server cannot be started here (with the reason)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_bin() -> Path:
    """The newest installed PostgreSQL's bin folder."""
    versions = sorted((p for p in PG_ROOT.glob("*/bin") if (p / "initdb").exists()),
                      key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    if not versions:
        raise PgUnavailable(f"PostgreSQL is not installed (no {PG_ROOT}/*/bin/initdb); run scripts/system-deps.sh")
    return versions[-1]


def as_test_user(argv: list[str]) -> list[str]:
    """A command line run as the unprivileged test user when we are root, as is otherwise."""
    return ["runuser", "-u", TEST_USER, "--", *argv] if os.geteuid() == 0 else argv


def ensure_test_user() -> None:
    """Create the unprivileged user the servers run as (root only; idempotent)."""
    if os.geteuid() != 0:
        return
    if subprocess.run(["id", "-u", TEST_USER], capture_output=True).returncode != 0:
        made = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                               TEST_USER], capture_output=True, text=True)
        if made.returncode != 0 and "already exists" not in made.stderr:
            raise PgUnavailable(f"cannot create the user {TEST_USER}: {made.stderr.strip()}")


def owned_temp_dir(prefix: str) -> Path:
    """A temporary folder the test user owns (0700)."""
    ensure_test_user()
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(folder, TEST_USER, TEST_USER)
    return folder


@dataclass
class PgServer:
    """A running test server."""

    root: Path
    port: int
    bin: Path

    def url(self, dbname: str = "postgres", password: str = PASSWORD) -> str:
        """A postgresql:// URL for one of its databases."""
        return f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self) -> str:
        """A new, empty database; returns its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return self.url(name)

    def halt(self) -> None:
        """Stop the server at once, as a crash would, keeping its data."""
        subprocess.run(as_test_user([str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate",
                                     "-w", "stop"]), capture_output=True, timeout=60)

    def resume(self) -> None:
        """Start a halted server again on the same port."""
        _pg_ctl_start(self.bin, self.root, self.port)

    def stop(self) -> None:
        """Stop the server at once and delete its folder."""
        self.halt()
        shutil.rmtree(self.root, ignore_errors=True)


def _pg_ctl_start(bindir: Path, root: Path, port: int) -> subprocess.CompletedProcess:
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off"
               " -c max_connections=200")
    return subprocess.run(as_test_user([str(bindir / "pg_ctl"), "-D", str(root / "data"), "-l", str(root / "log"),
                                        "-o", options, "-w", "-t", "60", "start"]),
                          capture_output=True, text=True, timeout=180)


def start() -> PgServer:
    """initdb and start a server on a free loopback port; raises PgUnavailable with the reason."""
    bindir = pg_bin()
    root = owned_temp_dir("kneebot-pg-")
    pwfile = root / "pw"
    pwfile.write_text(PASSWORD)
    if os.geteuid() == 0:
        shutil.chown(pwfile, TEST_USER, TEST_USER)

    def check(done: subprocess.CompletedProcess, what: str) -> None:
        if done.returncode != 0:
            log = root / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            shutil.rmtree(root, ignore_errors=True)
            raise PgUnavailable(f"{what} failed: {done.stderr.strip() or done.stdout.strip()} {tail}")

    initdb = [str(bindir / "initdb"), "-D", str(root / "data"), "-U", SUPERUSER, f"--pwfile={pwfile}",
              "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]
    check(subprocess.run(as_test_user(initdb), capture_output=True, text=True, timeout=180), "initdb")
    port = free_port()
    check(_pg_ctl_start(bindir, root, port), "pg_ctl start")
    return PgServer(root, port, bindir)
