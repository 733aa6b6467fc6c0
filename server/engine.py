"""What all connections share: the model, the vocoder, the VAD network, the worker pool, the limits.

Nothing here is model code: a connection's work is a :class:`ctc_unity.streaming.StreamingSession`
driven by a :class:`ctc_unity.streaming.vad.UtteranceStream`; the engine builds them and runs
their steps in a bounded :class:`~concurrent.futures.ThreadPoolExecutor`, off the event loop.
"""
import collections
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import List, Optional

import torch

logger = logging.getLogger("echostream.server")


@dataclass
class ServerConfig:
    """Limits and options of the server (the command-line options map 1:1; see ``server/__main__.py``)."""

    model: str = ""
    data_dir: Optional[str] = None
    vocoder: Optional[str] = None
    vocoder_checkpoint: Optional[str] = None
    device: str = "cpu"
    host: str = "127.0.0.1"
    port: int = 8000
    token: Optional[str] = None
    allowed_origins: List[str] = field(default_factory=list)  # besides same-origin and no Origin; "*" = any
    max_sessions: int = 8
    workers: int = 0  # 0: one per CPU core, at most 8
    torch_threads: int = 0  # 0: cores / workers (at least 1)
    max_message_bytes: int = 1 << 20  # one binary / text frame (1 MiB = 32 s of 16 kHz s16le)
    max_backlog_ms: float = 10000.0  # hard limit of audio received but not processed
    lag_warn_ms: float = 2000.0  # a `lagging` warning past this backlog
    backlog_policy: str = "drop"  # past max_backlog_ms: drop the oldest audio, or close (4015)
    max_outbound_bytes: int = 8 << 20  # results queued for a client that does not read them
    send_timeout_s: float = 20.0  # one send stalled this long: slow consumer (4016)
    idle_timeout_s: float = 60.0  # no client message this long: 4014
    ping_interval_s: float = 20.0  # WebSocket ping (uvicorn); a missing pong closes with 1011
    ping_timeout_s: float = 20.0
    stats_interval_s: float = 1.0
    start_timeout_s: float = 10.0  # time to send `start` after the handshake
    default_policy: str = "word"
    default_segment_ms: int = 320
    vad_min_silence_ms: float = 500.0
    vad_threshold: float = 0.5
    vad_speech_pad_ms: float = 96.0
    max_utterance_ms: float = 20000.0
    ssl_certfile: Optional[str] = None
    ssl_keyfile: Optional[str] = None

    def limits(self) -> dict:
        keys = ("max_sessions", "max_message_bytes", "max_backlog_ms", "lag_warn_ms", "backlog_policy",
                "max_outbound_bytes", "send_timeout_s", "idle_timeout_s", "ping_interval_s", "stats_interval_s",
                "max_utterance_ms")
        d = asdict(self)
        return {k: d[k] for k in keys}


class Engine:
    """The shared state of a server process.

    Args:
        config: :class:`ServerConfig`.
        bundle, vocoder: already loaded model and vocoder (tests); loaded from ``config`` when None.
    """

    def __init__(self, config: ServerConfig, bundle=None, vocoder=None, vocoder_name: str = ""):
        from ctc_unity.streaming import StreamingModel, resolve_vocoder
        from ctc_unity.streaming.vad import SileroVad

        self.config = config
        cores = os.cpu_count() or 1
        self.workers = config.workers or min(8, cores)
        self.vad = SileroVad.shared()  # import first: it resets torch's thread count
        self.torch_threads = config.torch_threads or max(1, cores // self.workers)
        torch.set_num_threads(self.torch_threads)
        if bundle is None:
            bundle = StreamingModel.load(config.model, config.data_dir, config.device)
        if vocoder is None:
            from agent import TRAINED_VOCODER_RUNS

            vocoder, vocoder_name = resolve_vocoder(bundle.data_dir, config.vocoder, config.vocoder_checkpoint,
                                                    TRAINED_VOCODER_RUNS, config.device)
        self.bundle, self.vocoder, self.vocoder_name = bundle, vocoder, vocoder_name or "given"
        logger.info(f"model {config.model or '(given)'}; {self.vocoder_name}; {self.workers} worker(s) x "
                    f"{self.torch_threads} torch thread(s)")
        self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="echostream-step")
        self._lock = threading.Lock()
        self.active = 0  # sessions in use (slots reserved at the handshake)
        self.served = 0
        self.closes = collections.Counter()  # close code -> count
        self.session_ids = set()

    # ------------------------------------------------------------------ slots
    def reserve(self) -> bool:
        with self._lock:
            if self.active >= self.config.max_sessions:
                return False
            self.active += 1
            self.served += 1
            return True

    def release(self, code: int) -> None:
        with self._lock:
            self.active -= 1
            self.closes[str(code)] += 1

    # ------------------------------------------------------------------ sessions
    def build_stream(self, options, vad_options: Optional[dict]):
        """A new :class:`~ctc_unity.streaming.vad.UtteranceStream` (own session and VAD state)."""
        from ctc_unity.streaming import StreamingSession
        from ctc_unity.streaming.vad import UtteranceStream, VadSegmenter

        session = StreamingSession(self.bundle, options, self.vocoder if "speech" in options.outputs else None)
        vad = VadSegmenter(self.vad, **vad_options) if vad_options is not None else None
        return UtteranceStream(session, vad)

    def info(self) -> dict:
        from ctc_unity.streaming import POLICIES

        from .protocol import ENCODINGS, OUTPUTS, PROTOCOL

        c = self.config
        return {"protocol": PROTOCOL, "model": c.model or "(given)", "vocoder": self.vocoder_name,
                "languages": self.bundle.languages, "policies": sorted(POLICIES),
                "encodings": list(ENCODINGS), "outputs": list(OUTPUTS), "limits": c.limits(),
                "sessions": {"active": self.active, "max": c.max_sessions, "served": self.served},
                "closes": dict(self.closes), "workers": self.workers, "torch_threads": self.torch_threads,
                "defaults": {"policy": c.default_policy, "segment_ms": c.default_segment_ms,
                             "vad": {"min_silence_ms": c.vad_min_silence_ms, "threshold": c.vad_threshold,
                                     "max_utterance_ms": c.max_utterance_ms}}}

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
