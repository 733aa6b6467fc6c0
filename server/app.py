"""The FastAPI application: ``GET /`` (the page: server/page.py), ``/healthz``, ``/v1/info``, ``WS /v1/s2st``.

The handshake of ``/v1/s2st`` checks, before accepting, the bearer token (``Authorization:
Bearer ...`` or ``?token=``: browsers cannot set headers on a WebSocket), the ``Origin`` and the
session count; a refusal is an HTTP response (401 / 403 / 503) whose JSON body is the protocol's
``error`` message with its 4xxx code.
"""
import hmac
import logging
from urllib.parse import urlsplit

from fastapi import FastAPI, WebSocket
from fastapi.responses import JSONResponse

from .connection import Connection
from .page import mount_page
from .protocol import ERRORS, Validator, error_message

logger = logging.getLogger("echostream.server")

class _DenialLogFilter(logging.Filter):
    """uvicorn's sans-io WebSocket protocol logs an ERROR after every handshake refused with an HTTP
    response (the denial-response extension: our 401/403/503), though the response was sent; drop it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing handshake" not in record.getMessage()


def create_app(engine) -> FastAPI:
    """The application over a loaded :class:`~server.engine.Engine`."""
    if not any(isinstance(f, _DenialLogFilter) for f in logging.getLogger("uvicorn.error").filters):
        logging.getLogger("uvicorn.error").addFilter(_DenialLogFilter())
    app = FastAPI(title="EchoStream", version="1", docs_url=None, redoc_url=None, openapi_url=None)
    validator = Validator()
    cfg = engine.config
    app.state.engine = engine

    mount_page(app, engine)  # GET / and /static/... (server/page.py, server/static/)

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok", "sessions": engine.active}

    @app.get("/v1/info")
    async def info():
        return engine.info()

    async def refuse(ws: WebSocket, name: str, status: int, message: str) -> None:
        engine.closes[str(ERRORS[name].code)] += 1
        logger.info(f"refused a connection: {name} ({message})")
        try:
            await ws.send_denial_response(JSONResponse(error_message(name, message), status_code=status))
        except RuntimeError:  # the server has no denial-response extension: close with the code
            await ws.close(code=ERRORS[name].code, reason=name)

    @app.websocket("/v1/s2st")
    async def s2st(ws: WebSocket):
        if cfg.token:
            auth = ws.headers.get("authorization", "")
            given = auth[7:].strip() if auth.lower().startswith("bearer ") else ws.query_params.get("token", "")
            if not hmac.compare_digest(given.encode(), cfg.token.encode()):
                return await refuse(ws, "unauthorized", 401, "missing or wrong bearer token" if given or auth
                                    else "missing bearer token")
        origin = ws.headers.get("origin")
        if origin and not origin_allowed(origin, ws.headers.get("host", ""), cfg.allowed_origins):
            return await refuse(ws, "origin_not_allowed", 403, f"origin {origin} is not allowed")
        if not engine.reserve():
            return await refuse(ws, "too_many_sessions", 503, f"all {cfg.max_sessions} sessions are in use")
        code = 1011
        try:
            await ws.accept()
            conn = Connection(engine, ws, validator)
            engine.session_ids.add(conn.id)
            try:
                code = await conn.serve()
            finally:
                engine.session_ids.discard(conn.id)
        finally:
            engine.release(code if code is not None else 1011)

    return app


def origin_allowed(origin: str, host: str, allowed) -> bool:
    """Same origin (the Origin's host:port is the Host header), or listed, or ``*`` listed."""
    if "*" in allowed or origin in allowed:
        return True
    return urlsplit(origin).netloc.lower() == host.lower()


class BackgroundServer:
    """uvicorn serving :func:`create_app` in a thread (tests, benchmarks): ``with BackgroundServer(engine) as url:``.

    Binds ``engine.config.host`` on a free port when ``engine.config.port`` is 0. ``sndbuf`` sets the
    kernel send buffer of the accepted sockets (tests of clients that do not read).
    """

    def __init__(self, engine, sndbuf: int = 0):
        import socket
        import threading

        import uvicorn

        from .__main__ import uvicorn_kwargs

        self.engine = engine
        kwargs = uvicorn_kwargs(engine.config)
        if not kwargs["port"]:
            with socket.socket() as s:
                s.bind((kwargs["host"], 0))
                kwargs["port"] = s.getsockname()[1]
        kwargs["log_level"] = "warning"
        self.port = kwargs["port"]
        self.server = uvicorn.Server(uvicorn.Config(create_app(engine), **kwargs))
        sockets = None
        if sndbuf:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)  # inherited by accepted sockets
            sock.bind((kwargs["host"], self.port))
            sockets = [sock]
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": sockets},
                                       name="echostream-uvicorn", daemon=True)

    @property
    def url(self) -> str:
        return f"ws://{self.engine.config.host}:{self.port}/v1/s2st"

    @property
    def http(self) -> str:
        return f"http://{self.engine.config.host}:{self.port}"

    def __enter__(self) -> "BackgroundServer":
        import time

        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
