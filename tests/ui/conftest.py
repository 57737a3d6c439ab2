"""Fixtures for the web channel: an assistant on temporary state, and a served page."""
from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def web_assistant(fast_assistant):
    """The real assistant (hash embedder, state in a session temp folder) the page talks to."""
    return fast_assistant


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def web_url(web_assistant) -> Iterator[str]:
    """The page served on a free loopback port; yields its URL."""
    from ui.web import build_app, launch

    app = build_app(web_assistant)
    port = free_port()
    launch(app, port=port, block=False)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


@pytest.fixture
def serve_web(web_assistant) -> Iterator:
    """Start the page with `launch` options on a free port; returns its URL. Stopped after the test."""
    from ui.web import build_app, launch

    apps = []

    def start(**options) -> str:
        app = build_app(web_assistant)
        port = free_port()
        launch(app, port=port, block=False, **options)
        apps.append(app)
        return f"http://127.0.0.1:{port}/"

    yield start
    for app in apps:
        app.close()
