"""Fixtures shared by several test modules."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import matplotlib.figure  # noqa: F401  (see below)
import pytest
import stubs

from conformance import hypothesis_profiles

# numpy (under matplotlib, which draws sla.png) cannot be imported twice in one process, and
# pytester's in-process runs forget every module imported during the run: imported here once,
# before any of them, it stays.

# This project's own tests run under our profiles (ci by default, HYPOTHESIS_PROFILE=nightly):
# the plugin itself never changes the process's Hypothesis settings.
hypothesis_profiles.register()


class _Html(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def html_endpoint() -> Iterator[str]:
    """A wrong server: answers every POST with an HTML page (port 0, 127.0.0.1 only)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Html)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ForeignerSituationService/v1/consult"
    server.shutdown()
    server.server_close()


@pytest.fixture
def stub() -> Iterator[list[stubs.Stub]]:
    """The misbehaving stubs a test starts (tests/stubs.py), all closed after it."""
    made: list[stubs.Stub] = []
    yield made
    for one in made:
        one.close()
