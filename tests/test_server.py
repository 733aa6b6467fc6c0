"""The live server (server/): protocol schemas, resampling, VAD, equivalence with the file demo,
concurrent sessions without cross-talk, every fault with its close code, resources back to baseline."""
import argparse
import asyncio
import json
import os
import socket
import threading
import time

import numpy as np
import pytest

from conftest import ROOT

from server.protocol import CLIENT_SCHEMAS, ERRORS, SCHEMAS, SERVER_SCHEMAS

SEGMENT = 5120  # 320 ms


# ---------------------------------------------------------------------------------------- unit layer
def test_schemas_are_valid_and_documented():
    from jsonschema import Draft202012Validator

    doc = open(os.path.join(ROOT, "docs", "protocol.md")).read()
    for side in SCHEMAS.values():
        for name, schema in side.items():
            Draft202012Validator.check_schema(schema)
            assert f"`{name}`" in doc, f"message {name} not documented"
    for e in ERRORS.values():
        assert str(e.code) in doc and e.name in doc, f"error {e.name} not documented"


def test_client_validator_messages():
    from server.protocol import Validator

    v = Validator()
    assert v.errors({"type": "start", "audio": {"encoding": "pcm_s16le", "sample_rate": 16000}}) is None
    assert "segment_ms" in v.errors({"type": "start", "audio": {"encoding": "f32le", "sample_rate": 16000},
                                     "segment_ms": 33})
    assert v.errors({"type": "flush", "id": 3}) is None
    assert v.errors({"type": "end", "x": 1})


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_streaming_resampler_equals_offline(rate):
    import torch
    import torchaudio.functional as AF

    from server.audio import StreamingResampler

    rng = np.random.default_rng(rate)
    x = (0.1 * rng.standard_normal(rate + 777)).astype(np.float32)
    offline = AF.resample(torch.from_numpy(x).unsqueeze(0), rate, 16000)[0].numpy()
    r, out, i = StreamingResampler(rate), [], 0
    while i < len(x):
        n = int(rng.integers(1, 2500))
        out.append(r(x[i:i + n]))
        i += n
    out.append(r.flush())
    y = np.concatenate(out)
    assert y.shape == offline.shape
    assert np.abs(y - offline).max() < 1e-5


def test_decode_faults():
    from server.audio import decode
    from server.protocol import ProtocolError

    for frame, enc, name in [(b"", "pcm_s16le", "empty_frame"), (b"abc", "pcm_s16le", "bad_audio_frame"),
                             (b"abcdef", "f32le", "bad_audio_frame"),
                             (np.array([0.1, np.nan], "<f4").tobytes(), "f32le", "non_finite_samples")]:
        with pytest.raises(ProtocolError) as e:
            decode(frame, enc)
        assert e.value.error.name == name
    assert decode(np.array([-32768, 16384], "<i2").tobytes(), "pcm_s16le").tolist() == [-1.0, 0.5]


def test_silero_vad_restores_threads_and_is_local():
    import torch

    from ctc_unity.streaming.vad import SileroVad

    torch.set_num_threads(2)
    vad = SileroVad()
    assert torch.get_num_threads() == 2
    p, state = vad(torch.zeros(3, 576), SileroVad.initial_state(3))  # several streams in one call
    assert p.shape == (3,) and state.shape == (2, 3, 128) and float(p.max()) < 0.5


# ---------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def recordings(tiny_data):
    from ctc_unity.datasets.audio_io import load_audio

    paths = []
    for split in ("dev", "test"):
        paths += open(os.path.join(tiny_data, "simuleval", split, "wav_list.txt")).read().split()
    raw = os.path.join(os.path.dirname(paths[0]))
    paths += sorted(os.path.join(raw, f) for f in os.listdir(raw) if f.startswith("train"))[:4]
    return [(p, load_audio(p)[0].numpy()) for p in paths[:8]]


@pytest.fixture(scope="module")
def engine(tiny_checkpoint, tiny_data, tmp_path_factory):
    from ctc_unity.streaming import StreamingModel
    from ctc_unity.vocoder import load_vocoder
    from ctc_unity.vocoder.griffin_lim import make_griffin_lim_config
    from server.engine import Engine, ServerConfig

    gl = str(tmp_path_factory.mktemp("gl") / "gl.json")
    make_griffin_lim_config(os.path.join(tiny_data, "units"), n_iter=4, out_path=gl)
    bundle = StreamingModel.load(tiny_checkpoint["checkpoint"])
    cfg = ServerConfig(model=tiny_checkpoint["checkpoint"], port=0, max_sessions=9, workers=2, token="s3cret",
                       max_message_bytes=64000, idle_timeout_s=30, send_timeout_s=5, ping_interval_s=5,
                       ping_timeout_s=5)
    eng = Engine(cfg, bundle=bundle, vocoder=load_vocoder(gl), vocoder_name="Griffin-Lim (test)")
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def server(engine):
    from server.app import BackgroundServer

    with BackgroundServer(engine) as srv:
        yield srv


@pytest.fixture(scope="module")
def reference(engine, recordings, tmp_path_factory):
    """The file demo's result (agent.demo.run_demo) for each recording, same options, same model."""
    from agent.demo import run_demo
    from ctc_unity.streaming import SessionOptions, StreamingSession

    import soundfile as sf

    session = StreamingSession(engine.bundle, SessionOptions(policy="word", segment_ms=320), engine.vocoder)
    out = {}
    tmp = tmp_path_factory.mktemp("demo")
    for i, (path, wav) in enumerate(recordings):
        assert len(wav) % SEGMENT, "a recording whose length is a multiple of the chunk ends differently live"
        args = argparse.Namespace(input=path, output=str(tmp / f"{i}.wav"), segment_ms=320, realtime=False,
                                  policy="word")
        summary = run_demo(args, session)
        speech, _ = sf.read(str(tmp / f"{i}.wav"), dtype="int16")
        out[path] = {"translation": summary["translation"], "asr": summary["asr"], "speech": speech}
    return out


def run(coro):
    return asyncio.run(coro)


def stream(server, wav, token="s3cret", **kw):
    from server.client import stream as client_stream

    kw.setdefault("speed", 0)
    kw.setdefault("start", {"policy": "word", "segment_ms": 320})
    return client_stream(server.url, wav, token=token, **kw)


def assert_valid(messages):
    from server.protocol import Validator

    v = Validator()
    for m in messages:
        m = {k: x for k, x in m.items() if k != "_t_ms"}
        assert v.errors(m, side="server") is None, (m, v.errors(m, side="server"))


def assert_equal_to_reference(res, ref):
    assert res.close_code == 1000 and res.error is None, (res.close_code, res.error)
    assert " ".join(res.translation) == ref["translation"]
    assert " ".join(res.asr) == ref["asr"]
    placed = (np.clip(res.placed_speech("source"), -1, 1) * 32768).round()
    expected = ref["speech"].astype(np.float64)
    assert placed.shape == expected.shape
    assert np.abs(placed - expected).max() <= 2  # PCM16 both sides (1 LSB each way)


def _fds():
    return len(os.listdir("/proc/self/fd"))


def _rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024


def _wait(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def test_vad_segmenter_cuts_at_pauses_forces_long_cuts_and_stays_bounded(recordings):
    from ctc_unity.streaming.vad import VadSegmenter

    wavs = [w for _, w in recordings[:3]]
    gap = np.zeros(12000, np.float32)  # 750 ms > min_silence 500 ms
    short = np.zeros(3200, np.float32)  # 200 ms: not a cut
    audio = np.concatenate([gap, wavs[0], short, wavs[1], gap, wavs[2], gap])
    pause_ends = [len(gap) + len(wavs[0]) + len(short) + len(wavs[1]) + len(gap), len(audio)]
    seg = VadSegmenter(min_silence_ms=500)
    events, sizes = [], []
    for i in range(0, len(audio), 1234):
        events += seg.push(audio[i:i + 1234])
        sizes.append(seg.state_nbytes())
    events += seg.flush()
    ends = [e for e in events if e.kind == "end"]
    assert [e.reason for e in ends] == ["silence", "silence"]
    for e, limit in zip(ends, pause_ends):
        assert limit - len(gap) < e.position <= limit  # inside the pause that follows the speech
    speech = sum(e.samples.size for e in events if e.kind == "audio")
    assert speech < len(audio) - 2 * 8000  # silence is not handed out
    assert max(sizes) < 64 * 1024
    # a stream with no pause: cut by force at max_utterance_ms
    seg = VadSegmenter(min_silence_ms=500, max_utterance_ms=1000)
    loud = np.concatenate([w for w in wavs] * 2)
    ev = seg.push(loud)
    assert any(e.reason == "max_length" for e in ev if e.kind == "end")


# ---------------------------------------------------------------------------------------- HTTP
def test_page_health_info(server):
    import httpx

    assert "EchoStream" in httpx.get(server.http + "/").text
    assert httpx.get(server.http + "/healthz").json()["status"] == "ok"
    info = httpx.get(server.http + "/v1/info").json()
    assert info["protocol"] == "echostream.s2st.v1" and info["sessions"]["max"] == 9
    assert info["languages"] == {"source": "fr", "target": "en"} and "word" in info["policies"]


# ---------------------------------------------------------------------------------------- equivalence
def test_vad_off_equals_file_demo(server, recordings, reference):
    """Text and speech of one session equal the demo's for the same audio and options, whatever the
    client's frame size; every message matches its schema."""
    for (path, wav), frame_ms in zip(recordings[:2], (100, 37)):
        res = run(stream(server, wav, frame_ms=frame_ms))
        assert_equal_to_reference(res, reference[path])
        assert_valid(res.messages)
        assert res.ready["protocol"] == "echostream.s2st.v1"
        assert res.done["translation"] == reference[path]["translation"]
        assert [h["seq"] for h, _, _ in res.speech] == list(range(len(res.speech)))


def test_resampled_input_equals_16k_resampled_offline(server, recordings):
    """44.1 kHz f32le input: the server's streaming resampling gives the text of the offline-resampled audio."""
    import torch
    import torchaudio.functional as AF

    _, wav = recordings[0]
    x44 = AF.resample(torch.from_numpy(wav).unsqueeze(0), 16000, 44100)[0].numpy()
    back = AF.resample(torch.from_numpy(x44).unsqueeze(0), 44100, 16000)[0].numpy()
    res = run(stream(server, x44, rate=44100, encoding="f32le"))
    ref = run(stream(server, back, encoding="f32le"))
    assert res.close_code == 1000 and res.ready["options"]["resampled_to"] == 16000
    assert res.translation == ref.translation and res.asr == ref.asr


def test_eight_concurrent_sessions_no_crosstalk(server, engine, recordings, reference):
    async def many():
        return await asyncio.gather(*[stream(server, wav, speed=4, frame_ms=80) for _, wav in recordings])

    results = run(many())
    for (path, _), res in zip(recordings, results):
        assert_equal_to_reference(res, reference[path])
    assert _wait(lambda: engine.active == 0)


def test_flush_finishes_utterance_and_stream_continues(server, recordings, reference):
    path, wav = recordings[0]
    res = run(stream(server, np.concatenate([wav, wav]), flush_at_s=[len(wav) / 16000]))
    kinds = [m["type"] for m in res.messages]
    assert "flushed" in kinds and res.close_code == 1000
    finals = [m for m in res.messages if m["type"] == "translation" and m["final"]]
    assert len(finals) == 2 and finals[0]["text"] == reference[path]["translation"]
    # the second utterance's clock continues the stream's
    second = [m for m in res.messages if m.get("utterance") == 1 and "source_ms" in m]
    assert second and min(m["source_ms"] for m in second) > 1000 * len(wav) / 16000


def test_vad_cuts_utterances_at_pauses(server, recordings):
    """VAD on: silence between recordings closes utterances (vad start/end, final words per utterance),
    and the last utterance's translation arrives before `done`."""
    gap = np.zeros(16000, dtype=np.float32)
    wavs = [w for _, w in recordings[:3]]
    audio = np.concatenate([gap] + [x for w in wavs for x in (w, gap)])
    res = run(stream(server, audio, start={"vad": {"min_silence_ms": 500}}))
    assert res.close_code == 1000
    assert_valid(res.messages)
    ends = [m for m in res.messages if m["type"] == "vad" and m["event"] == "end"]
    finals = [m for m in res.messages if m["type"] == "translation" and m["final"]]
    assert len(ends) == 3 and len(finals) == 3
    kinds = [m["type"] for m in res.messages]
    assert kinds.index("done") > max(i for i, m in enumerate(res.messages) if m["type"] == "translation")
    assert res.done["utterances"] == 3


# ---------------------------------------------------------------------------------------- faults
async def _fault(url, steps, token="s3cret", headers=None):
    """Open a connection, run ``steps`` (a list of str/bytes to send), return (close code, error message)."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    hdrs = dict(headers or {})
    if token:
        hdrs["Authorization"] = f"Bearer {token}"
    error = None
    async with connect(url, additional_headers=hdrs, max_size=None) as ws:
        try:
            for s in steps:
                await ws.send(s)
            async for msg in ws:
                if isinstance(msg, str) and json.loads(msg)["type"] == "error":
                    error = json.loads(msg)
        except ConnectionClosed:
            pass
        return ws.close_code, error


START = json.dumps({"type": "start", "audio": {"encoding": "pcm_s16le", "sample_rate": 16000}})
START_F32 = json.dumps({"type": "start", "audio": {"encoding": "f32le", "sample_rate": 16000}})
PCM = (np.zeros(1600, "<i2") + 3).tobytes()

FAULTS = {
    "malformed_json": [START, "{not json"],
    "unknown_type": [START, json.dumps({"type": "pause"})],
    "audio_before_start": [PCM],
    "second_start": [START, START],
    "odd_length_pcm": [START, PCM + b"\x01"],
    "nan_samples": [START_F32, np.array([0.0, np.nan, 0.1, np.inf], "<f4").tobytes()],
    "unsupported_encoding": [json.dumps({"type": "start", "audio": {"encoding": "mp3", "sample_rate": 16000}})],
    "oversized_frame": [START, b"\x00\x00" * 40000],
    "empty_frame": [START, b""],
    "bad_start_options": [json.dumps({"type": "start", "audio": {"encoding": "pcm_s16le", "sample_rate": 16000},
                                      "policy": "nope"})],
    "after_end": [START, json.dumps({"type": "end"}), PCM],
}
EXPECTED = {"malformed_json": 4001, "unknown_type": 4002, "audio_before_start": 4003, "second_start": 4004,
            "odd_length_pcm": 4007, "nan_samples": 4008, "unsupported_encoding": 4006, "oversized_frame": 4010,
            "empty_frame": 4009, "bad_start_options": 4005, "after_end": (4003, 1000)}


@pytest.fixture(scope="module")
def baseline(server, engine, recordings):
    """Threads, fds and memory after the pool has all its workers (a warm-up of concurrent sessions)."""
    async def warm():
        await asyncio.gather(*[stream(server, w) for _, w in recordings[:4]])

    run(warm())
    assert _wait(lambda: engine.active == 0)
    return {"threads": threading.active_count(), "fds": _fds(), "rss": _rss_mb()}


def test_every_fault_gets_its_code_and_others_keep_working(server, engine, recordings, reference, baseline):
    path, wav = recordings[1]

    async def scenario():
        healthy = asyncio.create_task(stream(server, wav, speed=3, frame_ms=100))
        results = {}
        for name, steps in FAULTS.items():
            results[name] = await _fault(server.url, steps)
        return await healthy, results

    healthy, results = run(scenario())
    for name, (code, error) in results.items():
        expected = EXPECTED[name]
        if isinstance(expected, tuple):  # `end` may close (1000) before the late frame is read
            assert code in expected, (name, code)
            continue
        assert code == expected, (name, code, error)
        assert error is not None and error["code"] == expected and error["fatal"], (name, error)
        assert_valid([error])
    assert_equal_to_reference(healthy, reference[path])


def _handshake_status(url, headers):
    from websockets.exceptions import InvalidStatus
    from websockets.asyncio.client import connect

    async def go():
        try:
            async with connect(url, additional_headers=headers):
                return 101, None
        except InvalidStatus as e:
            return e.response.status_code, json.loads(e.response.body)

    return run(go())


def test_token_origin_refused_before_accept(server, engine):
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        status, body = _handshake_status(server.url, headers)
        assert status == 401 and body["code"] == 4011 and body["name"] == "unauthorized"
    status, body = _handshake_status(server.url, {"Authorization": "Bearer s3cret", "Origin": "https://evil.example"})
    assert status == 403 and body["code"] == 4012
    assert _handshake_status(server.url + "?token=s3cret", {})[0] == 101  # browsers: token in the query
    assert _wait(lambda: engine.active == 0)


def test_too_many_sessions_refused(server, engine, recordings):
    from websockets.asyncio.client import connect

    async def scenario():
        hdr = {"Authorization": "Bearer s3cret"}
        conns = [await connect(server.url, additional_headers=hdr) for _ in range(engine.config.max_sessions)]
        for c in conns:
            await c.send(START)
        try:
            return _refusal(await _try(server.url, hdr))
        finally:
            for c in conns:
                await c.close()

    async def _try(url, hdr):
        from websockets.exceptions import InvalidStatus

        try:
            async with connect(url, additional_headers=hdr):
                return None
        except InvalidStatus as e:
            return e

    def _refusal(e):
        return (e.response.status_code, json.loads(e.response.body)) if e is not None else None

    status, body = run(scenario())
    assert status == 503 and body["code"] == 4013
    assert _wait(lambda: engine.active == 0)
    res = run(stream(server, recordings[0][1]))  # capacity is back
    assert res.close_code == 1000


def _raw_ws(port, rcvbuf=None):
    """A raw-socket WebSocket client (handshake done) for faults a library client hides."""
    import base64

    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /v1/s2st HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer s3cret\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert b" 101 " in head.split(b"\r\n")[0], head
    return s


def _frame(payload: bytes, opcode: int) -> bytes:
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | opcode])
    head += bytes([0x80 | n]) if n < 126 else (bytes([0x80 | 126]) + n.to_bytes(2, "big") if n < 65536
                                              else bytes([0x80 | 127]) + n.to_bytes(8, "big"))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def test_client_killed_mid_stream_frees_the_session(server, engine, recordings):
    before = engine.closes.copy()
    s = _raw_ws(server.port)
    s.sendall(_frame(START.encode(), 1))
    pcm = (recordings[0][1] * 32767).astype("<i2").tobytes()
    for i in range(0, len(pcm), 3200):
        s.sendall(_frame(pcm[i:i + 3200], 2))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close
    s.close()
    assert _wait(lambda: engine.active == 0)
    assert sum(engine.closes.values()) > sum(before.values())
    assert run(stream(server, recordings[0][1])).close_code == 1000


def test_client_that_never_reads_is_closed_4016(engine, recordings):
    """A client that sends but never reads: its results pile up (stats every 5 ms here; kernel send
    buffer kept small, keepalive ping off so that only the server's own limit acts), the server
    closes it with 4016 and frees the session."""
    from server.app import BackgroundServer

    old = (engine.config.stats_interval_s, engine.config.max_outbound_bytes, engine.config.send_timeout_s,
           engine.config.ping_interval_s)
    engine.config.stats_interval_s, engine.config.max_outbound_bytes, engine.config.send_timeout_s = 0.005, 50000, 3
    engine.config.ping_interval_s = 0
    try:
        with BackgroundServer(engine, sndbuf=4096) as srv:
            before = engine.closes["4016"]
            s = _raw_ws(srv.port, rcvbuf=2048)
            s.sendall(_frame(START.encode(), 1))
            s.settimeout(0.5)
            deadline = time.monotonic() + 30
            while engine.closes["4016"] == before and time.monotonic() < deadline:
                try:
                    s.sendall(_frame(b"\x01\x00" * 1600, 2))
                except (socket.timeout, OSError):
                    pass
                time.sleep(0.05)
            assert engine.closes["4016"] == before + 1
            assert _wait(lambda: engine.active == 0)
            s.close()
    finally:
        (engine.config.stats_interval_s, engine.config.max_outbound_bytes, engine.config.send_timeout_s,
         engine.config.ping_interval_s) = old


def test_idle_timeout_4014(server, engine):
    old = engine.config.idle_timeout_s
    engine.config.idle_timeout_s = 0.5
    try:
        code, error = run(_fault(server.url, [START]))
    finally:
        engine.config.idle_timeout_s = old
    assert code == 4014 and error["name"] == "idle_timeout"


@pytest.mark.parametrize("policy", ["drop", "close"])
def test_backlog_limit_policy_is_declared_never_silent(server, engine, recordings, policy):
    """Compute slower than the input (a 0.5 s backlog limit, audio sent unpaced): `drop` reports
    `dropped_ms` and a warning and still ends with `done`; `close` closes with 4015."""
    old = engine.config.max_backlog_ms, engine.config.lag_warn_ms, engine.config.backlog_policy
    engine.config.max_backlog_ms, engine.config.lag_warn_ms, engine.config.backlog_policy = 500.0, 200.0, policy
    try:
        wav = np.concatenate([w for _, w in recordings[:4]] * 2)
        res = run(stream(server, wav, frame_ms=20))
    finally:
        engine.config.max_backlog_ms, engine.config.lag_warn_ms, engine.config.backlog_policy = old
    warnings = [m for m in res.messages if m["type"] == "warning"]
    assert any(w["code"] == "lagging" for w in warnings)
    if policy == "drop":
        assert res.close_code == 1000 and res.done["dropped_ms"] > 0
        assert any(w["code"] == "dropped" for w in warnings)
        assert res.done["processed_ms"] + res.done["dropped_ms"] == pytest.approx(res.done["received_ms"], abs=0.2)
    else:
        assert res.close_code == 4015 and res.error["name"] == "backlog_overflow"


def test_resources_back_to_baseline(server, engine, baseline):
    """After every test above (faults included): no session, no extra thread or fd, bounded memory."""
    import gc

    assert _wait(lambda: engine.active == 0 and not engine.session_ids)
    gc.collect()
    assert _wait(lambda: threading.active_count() <= baseline["threads"])
    assert _wait(lambda: _fds() <= baseline["fds"] + 1)  # +1: a listing of /proc/self/fd itself
    assert _rss_mb() < baseline["rss"] + 150
