"""One WebSocket connection = one stream: receive, queue, step in the worker pool, send.

Four tasks per connection, all on the event loop except the model steps:

* the *receiver* parses frames (JSON control messages, binary audio), decodes and resamples
  audio to 16 kHz and appends it to the bounded input queue (back-pressure applies here);
* the *processor* takes audio from the queue (up to one session chunk per step) and runs
  :meth:`UtteranceStream.feed` / :meth:`~UtteranceStream.end_utterance` in the engine's worker
  pool, one call at a time for this connection (a session is not thread-safe), and turns the
  outputs into messages;
* the *sender* writes queued messages to the socket (bounded: a client that does not read is
  closed with 4016);
* the *ticker* sends ``stats`` about once a second.

Every fault ends the connection with a typed ``error`` and its close code (``server/protocol.py``);
all per-connection state is dropped when :meth:`Connection.serve` returns, however it ends.
"""
import asyncio
import dataclasses
import json
import logging
import time
import uuid
from collections import deque
from typing import Deque, List, Optional

import numpy as np

from .audio import TARGET_RATE, decode, make_resampler
from .protocol import (CLIENT_SCHEMAS, ENCODINGS, ERRORS, PROTOCOL, SPEECH_ENCODING, SPEECH_RATE, ProtocolError,
                       error_message)

logger = logging.getLogger("echostream.server")
_SENTINEL = object()
_OUTPUT_NAMES = {"asr": "source", "text": "text", "speech": "speech"}
MAX_SUMMARY_CHARS = 200_000  # the `done` summary keeps at most this much of each text


class _Audio:
    __slots__ = ("samples", "t_recv")

    def __init__(self, samples, t_recv):
        self.samples, self.t_recv = samples, t_recv


class Connection:
    """The server side of one ``/v1/s2st`` WebSocket (accepted; its session slot reserved)."""

    def __init__(self, engine, ws, validator):
        self.engine, self.ws, self.validator = engine, ws, validator
        self.cfg = dataclasses.replace(engine.config)  # this connection's limits (a snapshot)
        self.id = uuid.uuid4().hex[:12]
        self.loop = asyncio.get_running_loop()
        self.stream = None  # UtteranceStream after `start`
        self.started = self.ended = False
        self.encoding = None
        self.resampler = None
        self.outputs = ()
        self.inq: Deque = deque()  # _Audio | ("flush", id) | ("end",)
        self.inq_event = asyncio.Event()
        self.out: asyncio.Queue = asyncio.Queue()
        self.out_bytes = 0
        self.finished = asyncio.Event()
        self.close_code: Optional[int] = None
        self.close_name = ""
        self.close_message = ""
        self.client_gone = False
        self.inflight = None  # concurrent future of the step in the pool
        # counters (16 kHz samples)
        self.received = self.processed = self.dropped = self.queued = 0
        self.skip_pending = 0
        self.compute_ms = 0.0
        self.speech_samples = 0
        self.speech_seq = 0
        self.lagging = False
        self.last_drop_warning = 0.0
        self.asr_words: List[str] = []  # of the current utterance
        self.mt_words: List[str] = []
        self.asr_text = ""  # the stream's, for the summary (capped)
        self.mt_text = ""
        self.utterances = 0
        self.t_open = time.monotonic()

    # ================================================================== life cycle
    async def serve(self) -> int:
        """Run until the stream ends or fails; returns the close code."""
        tasks = [asyncio.create_task(self._receiver(), name=f"recv-{self.id}"),
                 asyncio.create_task(self._processor(), name=f"proc-{self.id}"),
                 asyncio.create_task(self._ticker(), name=f"tick-{self.id}")]
        sender = asyncio.create_task(self._sender(), name=f"send-{self.id}")
        try:
            await self.finished.wait()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._close(sender)
        finally:
            for t in tasks + [sender]:
                t.cancel()
            await asyncio.gather(*tasks, sender, return_exceptions=True)
            if self.inflight is not None and not self.inflight.done():
                try:  # a step in the pool finishes on its own (bounded by one step); wait so the slot is free
                    await asyncio.wrap_future(self.inflight)
                except BaseException:
                    pass
            self.stream = None
            self.inq.clear()
        return self.close_code

    def terminate(self, code: int, name: str, message: str = "", client_gone: bool = False) -> None:
        """Ask the connection to close (the first reason wins)."""
        if self.close_code is None:
            self.close_code, self.close_name, self.close_message = code, name, message
            self.client_gone = client_gone
            if code not in (1000,) and not client_gone:
                logger.info(f"session {self.id}: closing with {code} {name}: {message}")
        self.finished.set()

    def fail(self, err: ProtocolError) -> None:
        self.terminate(err.error.code, err.error.name, err.message)

    async def _close(self, sender: asyncio.Task) -> None:
        code = self.close_code
        if self.client_gone:
            return
        if code != ERRORS["slow_consumer"].code:
            if code != 1000:
                self._enqueue_json(error_message(self.close_name, self.close_message), force=True)
            self.out.put_nowait((_SENTINEL, 0))
            try:  # everything queued before the close reaches the client (bounded by the send timeout)
                await asyncio.wait_for(asyncio.shield(sender), self.cfg.send_timeout_s)
            except (asyncio.TimeoutError, Exception):
                pass
        sender.cancel()
        try:
            await asyncio.wait_for(self.ws.close(code=code, reason=self.close_name[:120]), 2.0)
        except BaseException:  # the peer is gone or does not read: uvicorn closes the transport when we return
            pass

    # ================================================================== receive
    async def _receiver(self) -> None:
        try:
            while True:
                timeout = self.cfg.idle_timeout_s if self.started else min(self.cfg.idle_timeout_s,
                                                                           self.cfg.start_timeout_s)
                try:
                    msg = await asyncio.wait_for(self.ws.receive(), timeout)
                except asyncio.TimeoutError:
                    if self.ended or self.inq or (self.inflight is not None and not self.inflight.done()):
                        continue  # the server is still working for the client: not idle
                    what = "no message" if self.started else "no `start`"
                    raise ProtocolError("idle_timeout", f"{what} for {timeout:g} s")
                if msg["type"] == "websocket.disconnect":
                    self.terminate(msg.get("code") or 1006, "disconnected", "client closed", client_gone=True)
                    return
                if msg.get("bytes") is not None:
                    self._on_audio(msg["bytes"])
                elif msg.get("text") is not None:
                    await self._on_text(msg["text"])
        except ProtocolError as e:
            self.fail(e)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - any other failure is typed, logged and closes this connection only
            logger.exception(f"session {self.id}: receiver failed")
            self.terminate(1011, "internal_error", f"{type(e).__name__}: {e}")

    async def _on_text(self, text: str) -> None:
        if len(text.encode("utf-8")) > self.cfg.max_message_bytes:
            raise ProtocolError("message_too_big", f"text frame larger than {self.cfg.max_message_bytes} bytes")
        try:
            msg = json.loads(text)
        except ValueError as e:
            raise ProtocolError("malformed_json", f"text frame is not JSON: {e}")
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            raise ProtocolError("malformed_json", "a message must be a JSON object with a string `type`")
        kind = msg["type"]
        if kind not in CLIENT_SCHEMAS:
            raise ProtocolError("unknown_type", f"unknown message type {kind!r} (expected one of "
                                                f"{', '.join(CLIENT_SCHEMAS)})")
        if self.ended:
            raise ProtocolError("invalid_state", f"`{kind}` after `end`")
        if kind == "start":
            if self.started:
                raise ProtocolError("already_started", "a second `start` (one stream per connection)")
            await self._start(msg)
            return
        if not self.started:
            raise ProtocolError("invalid_state", f"`{kind}` before `start`")
        problem = self.validator.errors(msg)
        if problem:
            raise ProtocolError("invalid_message", problem)
        self._flush_resampler()
        if kind == "flush":
            self.inq.append(("flush", msg.get("id")))
        else:
            self.ended = True
            self.inq.append(("end",))
        self.inq_event.set()

    async def _start(self, msg: dict) -> None:
        from ctc_unity.streaming import POLICIES, SessionOptions

        audio = msg.get("audio")
        if isinstance(audio, dict) and "encoding" in audio and audio["encoding"] not in ENCODINGS:
            raise ProtocolError("unsupported_encoding", f"audio encoding {audio['encoding']!r} is not supported "
                                                        f"(use {' or '.join(ENCODINGS)})")
        problem = self.validator.errors(msg)
        if problem:
            raise ProtocolError("invalid_message", problem)
        cfg = self.cfg
        policy = msg.get("policy", cfg.default_policy)
        if policy not in POLICIES:
            raise ProtocolError("invalid_message", f"start.policy: unknown policy {policy!r} "
                                                   f"(choices: {', '.join(sorted(POLICIES))})")
        outputs = tuple(msg.get("outputs", ("asr", "text", "speech")))
        vad = msg.get("vad", False)
        vad = {"enabled": vad} if isinstance(vad, bool) else {"enabled": True, **vad}
        vad_options = None
        if vad.pop("enabled"):
            vad_options = {"threshold": vad.get("threshold", cfg.vad_threshold),
                           "min_silence_ms": vad.get("min_silence_ms", cfg.vad_min_silence_ms),
                           "speech_pad_ms": vad.get("speech_pad_ms", cfg.vad_speech_pad_ms),
                           "max_utterance_ms": vad.get("max_utterance_ms", cfg.max_utterance_ms)}
        options = SessionOptions(policy=policy, segment_ms=msg.get("segment_ms", cfg.default_segment_ms),
                                 outputs=tuple(_OUTPUT_NAMES[o] for o in outputs),
                                 min_start_ms=msg.get("min_start_ms", SessionOptions.min_start_ms),
                                 vocoder_drain=msg.get("vocoder_drain", SessionOptions.vocoder_drain))
        try:
            self.stream = await asyncio.wrap_future(
                self.engine.pool.submit(self.engine.build_stream, options, vad_options))
        except ValueError as e:
            raise ProtocolError("invalid_message", f"start: {e}")
        self.started = True
        self.outputs = outputs
        self.encoding = audio["encoding"]
        self.rate = int(audio["sample_rate"])
        self.resampler = make_resampler(self.rate)
        self.chunk = self.stream.chunk
        self._enqueue_json({"type": "ready", "protocol": PROTOCOL, "session_id": self.id,
                            "options": {"policy": policy, "segment_ms": options.segment_ms, "outputs": list(outputs),
                                        "audio": {"encoding": self.encoding, "sample_rate": self.rate},
                                        "resampled_to": TARGET_RATE if self.resampler else None,
                                        "vad": vad_options, "min_start_ms": options.min_start_ms,
                                        "vocoder_drain": options.vocoder_drain},
                            "limits": cfg.limits()})
        self.inq_event.set()

    def _on_audio(self, frame: bytes) -> None:
        if self.ended:
            raise ProtocolError("invalid_state", "audio after `end`")
        if not self.started:
            raise ProtocolError("invalid_state", "audio before `start`")
        if len(frame) > self.cfg.max_message_bytes:
            raise ProtocolError("message_too_big", f"binary frame of {len(frame)} bytes (limit "
                                                   f"{self.cfg.max_message_bytes})")
        x = decode(frame, self.encoding)
        if self.resampler is not None:
            x = self.resampler(x)
        self._queue_audio(x)

    def _flush_resampler(self) -> None:
        if self.resampler is not None:
            self._queue_audio(self.resampler.flush())

    def _queue_audio(self, x: np.ndarray) -> None:
        if not x.size:
            return
        self.inq.append(_Audio(x, time.monotonic()))
        self.received += x.size
        self.queued += x.size
        self.inq_event.set()
        self._backpressure()

    def backlog_ms(self) -> float:
        return 1000.0 * (self.received - self.processed - self.dropped) / TARGET_RATE

    def _backpressure(self) -> None:
        cfg = self.cfg
        backlog = self.backlog_ms()
        if backlog > cfg.lag_warn_ms and not self.lagging:
            self.lagging = True
            self._enqueue_json({"type": "warning", "code": "lagging", "backlog_ms": round(backlog, 1),
                                "message": f"compute is behind: {backlog:.0f} ms of audio waiting "
                                           f"(hard limit {cfg.max_backlog_ms:.0f} ms, policy {cfg.backlog_policy})"})
        elif backlog < cfg.lag_warn_ms / 2:
            self.lagging = False
        if backlog <= cfg.max_backlog_ms:
            return
        if cfg.backlog_policy == "close":
            raise ProtocolError("backlog_overflow", f"{backlog:.0f} ms of audio waiting (limit "
                                                    f"{cfg.max_backlog_ms:.0f} ms)")
        # drop the oldest queued audio (never a marker, never the newest frame) until under the limit
        limit = int(cfg.max_backlog_ms * TARGET_RATE / 1000)
        dropped = 0
        while (self.received - self.processed - self.dropped - dropped > limit and len(self.inq) > 1
               and isinstance(self.inq[0], _Audio)):
            item = self.inq.popleft()
            dropped += item.samples.size
            self.queued -= item.samples.size
        if dropped:
            self.dropped += dropped
            self.skip_pending += dropped
            now = time.monotonic()
            if now - self.last_drop_warning >= self.cfg.stats_interval_s:
                self.last_drop_warning = now
                self._enqueue_json({"type": "warning", "code": "dropped",
                                    "dropped_ms": round(1000.0 * self.dropped / TARGET_RATE, 1),
                                    "backlog_ms": round(self.backlog_ms(), 1),
                                    "message": "compute is behind: the oldest audio was dropped "
                                               "(backlog policy `drop`)"})

    # ================================================================== process
    async def _processor(self) -> None:
        try:
            while True:
                while not (self.started and self.inq):
                    self.inq_event.clear()
                    await self.inq_event.wait()
                head = self.inq[0]
                if isinstance(head, _Audio):
                    parts, n, t_recv = [], 0, head.t_recv
                    while self.inq and isinstance(self.inq[0], _Audio) and (n == 0 or n < self.chunk):
                        item = self.inq.popleft()
                        parts.append(item.samples)
                        n += item.samples.size
                        t_recv = item.t_recv
                    self.queued -= n
                    skipped, self.skip_pending = self.skip_pending, 0
                    x = parts[0] if len(parts) == 1 else np.concatenate(parts)
                    outputs = await self._run(self.stream.feed, x, skipped)
                    self.processed += n
                    self._emit(outputs)
                    continue
                self.inq.popleft()
                reason = "flush" if head[0] == "flush" else "end"
                outputs = await self._run(self.stream.end_utterance, reason)
                self._emit(outputs)
                if head[0] == "flush":
                    msg = {"type": "flushed", "processed_ms": round(1000.0 * self.processed / TARGET_RATE, 1)}
                    if head[1] is not None:
                        msg["id"] = head[1]
                    self._enqueue_json(msg)
                else:
                    self._enqueue_json({"type": "done", "summary": self.summary()})
                    self.terminate(1000, "done")
                    return
        except ProtocolError as e:
            self.fail(e)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001
            logger.exception(f"session {self.id}: step failed")
            self.terminate(1011, "internal_error", f"{type(e).__name__}: {e}")

    async def _run(self, fn, *args):
        t0 = time.perf_counter()
        self.inflight = self.engine.pool.submit(fn, *args)
        try:
            return await asyncio.wrap_future(self.inflight)
        finally:
            self.compute_ms += 1000.0 * (time.perf_counter() - t0)

    def _emit(self, outputs) -> None:
        for o in outputs:
            ms = round(o.source_ms, 4)  # exact: stream samples are 1/16 ms
            if o.kind == "vad_start":
                self._enqueue_json({"type": "vad", "event": "start", "utterance": o.utterance, "source_ms": ms})
                continue
            if o.kind == "vad_end":
                self._enqueue_json({"type": "vad", "event": "end", "utterance": o.utterance, "source_ms": ms,
                                    "reason": o.reason})
                continue
            step = o.step
            if "asr" in self.outputs and (step.source_words or o.final):
                self.asr_words += step.source_words
                self._enqueue_json({"type": "asr", "utterance": o.utterance, "words": step.source_words,
                                    "text": " ".join(self.asr_words) if o.final else "", "final": o.final,
                                    "source_ms": ms})
            if "text" in self.outputs and (step.target_words or o.final):
                self.mt_words += step.target_words
                self._enqueue_json({"type": "translation", "utterance": o.utterance, "words": step.target_words,
                                    "text": " ".join(self.mt_words) if o.final else "", "final": o.final,
                                    "source_ms": ms})
            if step.speech.size:
                pcm = (np.clip(step.speech, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()
                self._enqueue_json({"type": "speech", "seq": self.speech_seq, "utterance": o.utterance,
                                    "source_ms": ms, "samples": int(step.speech.size), "sample_rate": SPEECH_RATE,
                                    "encoding": SPEECH_ENCODING})
                self._enqueue_bytes(pcm)
                self.speech_seq += 1
                self.speech_samples += step.speech.size
            if o.final:
                self.utterances += 1
                self.asr_text = _cap(" ".join(filter(None, [self.asr_text, " ".join(self.asr_words)])))
                self.mt_text = _cap(" ".join(filter(None, [self.mt_text, " ".join(self.mt_words)])))
                self.asr_words, self.mt_words = [], []

    def summary(self) -> dict:
        ms = lambda n: round(1000.0 * n / TARGET_RATE, 1)  # noqa: E731
        processed = ms(self.processed)
        return {"received_ms": ms(self.received), "processed_ms": processed, "dropped_ms": ms(self.dropped),
                "utterances": self.utterances, "asr": self.asr_text, "translation": self.mt_text,
                "speech_ms": ms(self.speech_samples), "speech_frames": self.speech_seq,
                "compute_ms": round(self.compute_ms, 1), "rtf": _rtf(self.compute_ms, processed),
                "wall_s": round(time.monotonic() - self.t_open, 3)}

    # ================================================================== send
    def _enqueue_json(self, msg: dict, force: bool = False) -> None:
        data = json.dumps(msg, ensure_ascii=False)
        self._enqueue(data, len(data), force)

    def _enqueue_bytes(self, data: bytes) -> None:
        self._enqueue(data, len(data), False)

    def _enqueue(self, data, n: int, force: bool) -> None:
        if self.finished.is_set() and not force:
            return
        self.out.put_nowait((data, n))
        self.out_bytes += n
        if self.out_bytes > self.cfg.max_outbound_bytes and not force:
            self.terminate(ERRORS["slow_consumer"].code, "slow_consumer",
                           f"{self.out_bytes} bytes of results not read by the client "
                           f"(limit {self.cfg.max_outbound_bytes})")

    async def _sender(self) -> None:
        while True:
            data, n = await self.out.get()
            if data is _SENTINEL:
                return
            try:
                send = self.ws.send_text(data) if isinstance(data, str) else self.ws.send_bytes(data)
                await asyncio.wait_for(send, self.cfg.send_timeout_s)
            except asyncio.TimeoutError:
                self.terminate(ERRORS["slow_consumer"].code, "slow_consumer",
                               f"a send stalled for {self.cfg.send_timeout_s:g} s")
                return
            except asyncio.CancelledError:
                raise
            except Exception:  # the peer is gone: the receiver sees the disconnect
                self.terminate(1006, "disconnected", "send failed", client_gone=True)
                return
            self.out_bytes -= n

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(self.cfg.stats_interval_s)
            if self.started:
                self._enqueue_json(self.stats())

    def stats(self) -> dict:
        ms = lambda n: round(1000.0 * n / TARGET_RATE, 1)  # noqa: E731
        processed = ms(self.processed)
        return {"type": "stats", "received_ms": ms(self.received), "processed_ms": processed,
                "backlog_ms": round(self.backlog_ms(), 1), "dropped_ms": ms(self.dropped),
                "compute_ms": round(self.compute_ms, 1), "rtf": _rtf(self.compute_ms, processed),
                "speech_ms": ms(self.speech_samples), "utterances": self.utterances,
                "queued_out_bytes": max(0, self.out_bytes)}


def _rtf(compute_ms: float, processed_ms: float) -> float:
    return round(compute_ms / processed_ms, 4) if processed_ms > 0 else 0.0


def _cap(text: str) -> str:
    return text if len(text) <= MAX_SUMMARY_CHARS else text[-MAX_SUMMARY_CHARS:]
