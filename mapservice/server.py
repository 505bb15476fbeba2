"""Serving over HTTP with gunicorn: its configuration and the worker class (no Flask here).

- ``reuse_port``: each worker listens on its own SO_REUSEPORT socket and the kernel spreads new
  connections over them, so one worker cannot take every keep-alive connection while another idles.
- :class:`Worker` (gthread) answers the requests gunicorn refuses before the app sees them (an
  address longer than ``limit_request_line``, too many or too large headers) in the API's JSON error
  shape, and sends no ``Server`` banner.
- No access log: the places families search from are never written down.
"""
from __future__ import annotations

import json

from gunicorn.app.base import BaseApplication
from gunicorn.http import errors, wsgi
from gunicorn.workers.gthread import ThreadWorker

from .errors import MapserviceError

#: The longest request line (method, address, version) gunicorn reads, in bytes: its default.
MAX_REQUEST_LINE = 4094
_REFUSED = {
    errors.LimitRequestLine: (414, "URI Too Long", f"the address is longer than {MAX_REQUEST_LINE} bytes; "
                                                   "ask for less in one request"),
    errors.LimitRequestHeaders: (431, "Request Header Fields Too Large", "the request's headers are too large"),
}


class _Response(wsgi.Response):
    def default_headers(self) -> list[str]:
        return [line for line in super().default_headers() if not line.startswith("Server:")]


class Worker(ThreadWorker):
    """gunicorn's threaded worker, with JSON refusals and no Server banner."""

    def init_process(self) -> None:
        # gunicorn has no setting for the banner; its response class writes it (this worker's process only).
        wsgi.Response = _Response
        super().init_process()

    def handle_error(self, req, client, addr, exc) -> None:
        refused = next((answer for kind, answer in _REFUSED.items() if isinstance(exc, kind)), None)
        if refused is None:
            return super().handle_error(req, client, addr, exc)
        status, reason, message = refused
        # The address was not read, so neither was its lang: the house language, Chinese (with the code).
        body = json.dumps(MapserviceError(message, status=status, code=f"http_{status}").to_dict("zh"),
                          ensure_ascii=False).encode()
        head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nX-Content-Type-Options: nosniff\r\n\r\n").encode("latin-1")
        try:
            client.sendall(head + body)
        except OSError:
            self.log.debug("could not send the %s answer", status)


def config(host: str, port: int, workers: int, threads: int) -> dict:
    """gunicorn's settings for ``mapservice serve``."""
    return {"bind": f"{host}:{port}", "workers": workers, "threads": threads, "worker_class": f"{__name__}.Worker",
            "reuse_port": True, "limit_request_line": MAX_REQUEST_LINE, "accesslog": None, "loglevel": "warning"}


def run(load, host: str, port: int, workers: int, threads: int) -> None:
    """Serve the WSGI app that ``load()`` builds (once in each worker, after the fork)."""

    class Server(BaseApplication):
        def load_config(self):
            for key, value in config(host, port, workers, threads).items():
                self.cfg.set(key, value)

        def load(self):
            return load()

    Server().run()
