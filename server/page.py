"""The browser page (``server/static/``): ``GET /``, ``GET /static/...``, ``GET /v1/errors``, ``GET /v1/preflight``.

The page is plain HTML/CSS/JS committed as files (no build, no CDN: it works offline); see
``docs/page.md``. ``/v1/errors`` gives the page the documented meaning of every error code (one source:
``server/protocol.py``). ``/v1/preflight`` exists because a browser cannot read the body of a refused
WebSocket handshake (the HTTP 401/403/503 with the protocol's ``error``): when its WebSocket fails
before opening, the page asks it why, and shows the same ``error`` message (4011 / 4013) the
handshake would have sent.
"""
import hmac
import os

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from .protocol import ERRORS, error_message

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
_NO_CACHE = {"Cache-Control": "no-cache"}  # the page and its scripts change together: always revalidate


class _Static(StaticFiles):
    def file_response(self, *args, **kwargs):
        response = super().file_response(*args, **kwargs)
        response.headers.update(_NO_CACHE)
        return response


def mount_page(app: FastAPI, engine) -> None:
    """Serve the page of ``server/static`` at ``/`` (its files under ``/static``) and ``/v1/preflight``."""
    app.mount("/static", _Static(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(os.path.join(STATIC_DIR, "index.html"), headers=_NO_CACHE)

    @app.get("/v1/errors", include_in_schema=False)
    async def errors():
        """Every error code -> its name and documented meaning (backquotes of the Markdown removed)."""
        return {str(e.code): {"name": e.name, "description": e.description.replace("`", "")} for e in ERRORS.values()}

    @app.get("/v1/preflight", include_in_schema=False)
    async def preflight(request: Request):
        """What the WebSocket handshake would answer now for this token: ``{"ok": true}`` or the
        ``error`` (401 ``unauthorized``, 503 ``too_many_sessions``)."""
        cfg = engine.config
        given = request.query_params.get("token", "")
        if cfg.token and not hmac.compare_digest(given.encode(), cfg.token.encode()):
            why = "missing or wrong bearer token" if given else "missing bearer token"
            return JSONResponse(error_message("unauthorized", why), status_code=401)
        if engine.active >= cfg.max_sessions:
            return JSONResponse(error_message("too_many_sessions", f"all {cfg.max_sessions} sessions are in use"),
                                status_code=503)
        return {"ok": True}
