"""Several web workers behind nginx, for the tests and the web benchmark: Debian's nginx runs the
repository's config (deploy/nginx/kneebot.conf) as an unprivileged user, on a free loopback port, with
its files in a temporary folder; the workers are `kneebot web` processes (or any command) on their own
ports, sharing one database and one browser-storage secret.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from pgserver import as_test_user, free_port, owned_temp_dir

REPO = Path(__file__).resolve().parents[1]
NGINX_CONF = REPO / "deploy" / "nginx" / "kneebot.conf"
NGINX = Path("/usr/sbin/nginx")


class FarmUnavailable(Exception):
    """A web worker or nginx cannot be started here, or did not come up (with the reason)."""


def site_config(ports: list[int], listen: int) -> str:
    """The repository's nginx config with these workers and this listening port on 127.0.0.1."""
    text = NGINX_CONF.read_text(encoding="utf-8")
    servers = "".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;\n" for p in ports)
    text, n = re.subn(r"(?m)^    server 127\.0\.0\.1:\d+ .*\n(?:    server 127\.0\.0\.1:\d+ .*\n)*", servers, text)
    text, m = re.subn(r"(?m)^    listen 80;$", f"    listen 127.0.0.1:{listen};", text)
    # Which worker answered, for the tests only: the deployed config does not tell the public.
    text, k = re.subn(r"(?m)^(        add_header Set-Cookie .*\n)",
                      r"\1        add_header X-Kneebot-Upstream $upstream_addr always;\n", text)
    if n != 1 or m != 1 or k != 1:
        raise FarmUnavailable(f"{NGINX_CONF} no longer has the upstream server lines, `listen 80;` and the"
                              " Set-Cookie line this test edits")
    return text


def wait_for(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    """Wait until a Gradio page answers at url (ending in /)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise FarmUnavailable(f"the server for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "gradio_api/info", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise FarmUnavailable(f"{url} did not come up within {timeout:.0f}s")


@dataclass
class Farm:
    """nginx and its workers."""

    root: Path
    port: int
    nginx: subprocess.Popen
    workers: dict[int, subprocess.Popen] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The address clients use: nginx."""
        return f"http://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        """Stop the workers and nginx, and delete the folder."""
        for proc in [*self.workers.values(), self.nginx]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [*self.workers.values(), self.nginx]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def kneebot_web(port: int) -> list[str]:
    """The command line of one web worker."""
    return [sys.executable, "-m", "bot.cli", "web", "--port", str(port)]


def start_farm(env: dict[str, str], workers: int = 2, command=kneebot_web,  # type: ignore[no-untyped-def]
               timeout: float = 300) -> Farm:
    """Start `workers` web workers with this environment and nginx in front of them."""
    if not NGINX.exists():
        raise FarmUnavailable(f"nginx is not installed ({NGINX}); run scripts/system-deps.sh")
    root = owned_temp_dir("kneebot-nginx-")
    ports = [free_port() for _ in range(workers)]
    listen = free_port()
    temp = {name: root / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    (root / "nginx.conf").write_text(
        "worker_processes 1;\ndaemon off;\n"
        f"pid {root}/nginx.pid;\nerror_log {root}/error.log warn;\n"
        "events { worker_connections 4096; }\n"
        "http {\n    access_log off;\n"
        + "".join(f"    {name}_temp_path {path};\n" for name, path in
                  (("client_body", temp["body"]), *((k, v) for k, v in temp.items() if k != "body")))
        + site_config(ports, listen) + "}\n", encoding="utf-8")
    os.chmod(root / "nginx.conf", 0o644)
    procs: dict[int, subprocess.Popen] = {}
    log = (root / "workers.log").open("ab")
    for port in ports:
        procs[port] = subprocess.Popen(command(port), cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                       env={**os.environ, **env, "KNEEBOT_PORT": str(port)})
    nginx = subprocess.Popen(as_test_user([str(NGINX), "-p", str(root), "-c", str(root / "nginx.conf"),
                                           "-e", str(root / "error.log")]),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    farm = Farm(root, listen, nginx, procs)
    try:
        for port, proc in procs.items():
            wait_for(f"http://127.0.0.1:{port}/", timeout, proc)
        wait_for(farm.url, 30, nginx)
    except FarmUnavailable as exc:
        logs = "".join(p.read_text(errors="replace")[-3000:] for p in (root / "workers.log", root / "error.log")
                       if p.exists())
        farm.stop()
        raise FarmUnavailable(f"{exc}\n{logs}") from None
    return farm
