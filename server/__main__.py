"""``python -m server --model CKPT``: the live EchoStream server (FastAPI + uvicorn, one port).

    python -m server --model runs/echostream_cpu_t2u/checkpoints/checkpoint_best.pt
    bash serve.sh                       # the same with the default model (MODEL=... VOCODER=...)

Binds 127.0.0.1:8000 unless ``--host``/``--port``; ``--token`` requires a bearer token;
``--ssl-certfile/--ssl-keyfile`` serve wss (browsers allow microphones only on https or localhost).
"""
import argparse
import logging
import sys
from dataclasses import fields

from .engine import Engine, ServerConfig

logger = logging.getLogger("echostream.server")


def parser() -> argparse.ArgumentParser:
    d = ServerConfig()
    p = argparse.ArgumentParser(prog="python -m server", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="EchoStream checkpoint")
    p.add_argument("--data-dir", help="prepared data folder (default: the checkpoint's)")
    p.add_argument("--vocoder", help="vocoder config (default: the best that exists; the log says which)")
    p.add_argument("--vocoder-checkpoint")
    p.add_argument("--device", default=d.device)
    p.add_argument("--host", default=d.host, help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=d.port)
    p.add_argument("--token", help="require `Authorization: Bearer TOKEN` (or ?token=TOKEN)")
    p.add_argument("--allowed-origin", dest="allowed_origins", action="append", default=[],
                   help="an Origin allowed besides the server's own (repeat; * = any)")
    p.add_argument("--ssl-certfile")
    p.add_argument("--ssl-keyfile")
    for f in fields(ServerConfig):
        if f.name in {"model", "data_dir", "vocoder", "vocoder_checkpoint", "device", "host", "port", "token",
                      "allowed_origins", "ssl_certfile", "ssl_keyfile"}:
            continue
        kw = {"choices": ["drop", "close"]} if f.name == "backlog_policy" else {}
        p.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=f.default,
                       help=f"(default {f.default})", **kw)
    return p


def config_from_args(args) -> ServerConfig:
    return ServerConfig(**{f.name: getattr(args, f.name) for f in fields(ServerConfig)})


def uvicorn_kwargs(cfg: ServerConfig) -> dict:
    """uvicorn options: the transport refuses frames past 4x our message limit (1009); below it the
    server answers ``message_too_big`` (4010) itself."""
    return dict(host=cfg.host, port=cfg.port, ws_max_size=4 * cfg.max_message_bytes,
                ws_ping_interval=cfg.ping_interval_s or None, ws_ping_timeout=cfg.ping_timeout_s or None,
                ssl_certfile=cfg.ssl_certfile, ssl_keyfile=cfg.ssl_keyfile, log_level="info",
                ws="websockets-sansio", ws_per_message_deflate=False, lifespan="off", timeout_graceful_shutdown=5)


def main(argv=None):
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s | %(levelname)s | %(message)s", force=True)
    cfg = config_from_args(args)
    if bool(cfg.ssl_certfile) != bool(cfg.ssl_keyfile):
        print("echostream-server: error: --ssl-certfile and --ssl-keyfile go together", file=sys.stderr)
        sys.exit(1)
    try:
        engine = Engine(cfg)
    except (FileNotFoundError, ValueError) as e:
        print(f"echostream-server: error: {e}", file=sys.stderr)
        sys.exit(1)
    import uvicorn

    from .app import create_app

    scheme = "wss" if cfg.ssl_certfile else "ws"
    logger.info(f"serving {scheme}://{cfg.host}:{cfg.port}/v1/s2st (max {cfg.max_sessions} sessions)")
    try:
        uvicorn.run(create_app(engine), **uvicorn_kwargs(cfg))
    finally:
        engine.close()


if __name__ == "__main__":
    main()
