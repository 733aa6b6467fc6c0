"""The browser page (server/static/) in a real headless Chromium (Debian's, driven by Playwright):
microphone and file paths end to end against the live server with the tiny model (source words,
translated words, translated speech played), the session download, every kind of error shown as its
documented message (handshake refusals, an in-protocol error, a denied microphone), reconnection
after a server restart, and the capture path's fidelity (a 48 kHz sine sweep: no aliasing above
8 kHz in what the server receives, < -40 dB)."""
import io
import json
import os
import socket
import time
import zipfile

import numpy as np
import pytest

from server.protocol import ERRORS
from test_server import engine, recordings, server  # noqa: F401  (the live server's fixtures, reused)

CHROMIUM = "/usr/bin/chromium"
TOKEN = "s3cret"  # test_server's engine fixture
FAKE_MEDIA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", "--no-sandbox",
              "--autoplay-policy=no-user-gesture-required"]

# ------------------------------------------------------------------------------ the sweep (item 5)
SWEEP_RATE, SWEEP_F0, SWEEP_F1, SWEEP_S, SWEEP_GAP_S = 48000, 100.0, 20000.0, 3.0, 0.5


def sweep(rate: int = SWEEP_RATE) -> np.ndarray:
    """Silence, a linear sine sweep 100 Hz -> 20 kHz (amplitude 0.5, 5 ms fades), silence."""
    t = np.arange(int(SWEEP_S * rate)) / rate
    x = 0.5 * np.sin(2 * np.pi * (SWEEP_F0 * t + (SWEEP_F1 - SWEEP_F0) * t ** 2 / (2 * SWEEP_S)))
    fade = int(0.005 * rate)
    x[:fade] *= np.linspace(0, 1, fade)
    x[-fade:] *= np.linspace(1, 0, fade)
    gap = np.zeros(int(SWEEP_GAP_S * rate))
    return np.concatenate([gap, x, gap]).astype(np.float32)


def _sweep_time(f: float) -> float:
    return SWEEP_S * (f - SWEEP_F0) / (SWEEP_F1 - SWEEP_F0)


def alias_db(y: np.ndarray, rate: int = 16000) -> float:
    """Power of ``y`` (16 kHz, holding at least one whole sweep) while the sweep is above 8 kHz,
    relative to its power while the sweep is at 300-7000 Hz, in dB. A correct path leaves nothing
    there (whatever is there folded back from above the Nyquist frequency, or is noise); a
    decimation without a low-pass gives ~0 dB. The sweep is found by cross-correlation with its
    own pass band."""
    import torch
    import torchaudio.functional as AF
    from scipy.signal import fftconvolve

    ref = AF.resample(torch.from_numpy(sweep()).unsqueeze(0), SWEEP_RATE, rate)[0].numpy()
    gap = int(SWEEP_GAP_S * rate)
    core = ref[gap:gap + int(_sweep_time(7000) * rate)]
    start = int(np.argmax(np.abs(fftconvolve(y, core[::-1], mode="valid"))))
    seg = lambda f0, f1: y[start + int(_sweep_time(f0) * rate):start + int(_sweep_time(f1) * rate)]  # noqa: E731
    power = lambda v: float(np.mean(v.astype(np.float64) ** 2))  # noqa: E731
    stop, passband = seg(8000, 19800), seg(300, 7000)
    assert len(stop) == int(_sweep_time(19800) * rate) - int(_sweep_time(8000) * rate), "sweep not whole in y"
    return 10 * np.log10(power(stop) / power(passband) + 1e-30)


def test_alias_measure_detects_aliasing():
    """The measure itself: decimation without a low-pass aliases at ~0 dB; torchaudio's resampler
    (the server's filter) lets 8-9 kHz fold back (a soft transition band: why the page low-passes)."""
    import torch
    import torchaudio.functional as AF

    x = np.concatenate([sweep(), sweep()])
    assert alias_db(x[::3]) > -3
    server_only = alias_db(AF.resample(torch.from_numpy(x).unsqueeze(0), SWEEP_RATE, 16000)[0].numpy())
    assert -40 < server_only < -10, server_only


# ------------------------------------------------------------------------------ browser helpers
@pytest.fixture(scope="module")
def playwright():
    """Playwright (PyPI) for Debian's Chromium; every browser test is skipped, saying why, without it."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no {CHROMIUM}: Debian's chromium and chromium-driver are needed for the real-browser "
                    "tests (bash scripts/setup_env.sh installs them)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def launch(playwright, wav=None, extra=()):
    args = list(FAKE_MEDIA) + list(extra)
    if wav:
        args.append(f"--use-file-for-fake-audio-capture={wav}")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=args)


@pytest.fixture(scope="module")
def speech_wav(recordings, tmp_path_factory):  # noqa: F811
    """The fake microphone's recording: two training utterances of the tiny corpus with pauses, 16 kHz."""
    import soundfile as sf

    gap = np.zeros(8000, np.float32)
    wav = np.concatenate([gap, recordings[4][1], np.zeros(16000, np.float32), recordings[5][1], gap])
    path = str(tmp_path_factory.mktemp("page") / "speech.wav")
    sf.write(path, wav, 16000, subtype="PCM_16")
    return path, len(wav) / 16000


@pytest.fixture(scope="module")
def browser(playwright, speech_wav):
    b = launch(playwright, speech_wav[0])
    yield b
    b.close()


def open_page(browser, base, query="", **context):
    ctx = browser.new_context(accept_downloads=True, **context)
    page = ctx.new_page()
    page.goto(f"{base}/{query}")
    page.wait_for_function("() => window.echostream && window.echostream.loaded")
    return page


def counters(page) -> dict:
    return page.evaluate("() => { const e = window.echostream; return {...e, latencies: e.latencies.slice(),"
                         " textLatencies: e.textLatencies.slice()}; }")


def wait_done(page, timeout_s=90):
    page.wait_for_function("() => ['done', 'error'].includes(window.echostream.state)", timeout=timeout_s * 1000)
    c = counters(page)
    assert c["state"] == "done", (c["state"], c["lastError"])
    # the speech still queued plays out
    page.wait_for_function("() => { const e = window.echostream; return e.audioFramesPlayed + e.audioFramesSkipped"
                           " >= e.audioFramesReceived; }", timeout=30000)
    return counters(page)


def assert_translated(page, c):
    assert c["sourceWordsShown"] > 0 and c["wordsShown"] > 0, c
    assert c["audioFramesReceived"] > 0 and c["audioFramesPlayed"] > 0, c
    assert c["errors"] == [], c["errors"]
    assert page.locator("#transcript .tgt .w").count() == c["wordsShown"]
    assert page.locator("#transcript .src .w").count() == c["sourceWordsShown"]
    assert c["latencies"] and all(x > 0 for x in c["latencies"])  # word -> its speech played
    assert c["stats"] is not None and page.locator("#rtf").inner_text() != "–"


def error_text(page) -> str:
    page.wait_for_function("() => window.echostream.lastError !== null", timeout=20000)
    return page.locator("#error").inner_text()


def documented(name: str) -> str:
    return ERRORS[name].description.replace("`", "")


# ------------------------------------------------------------------------------ end to end
def test_page_is_served_offline(server):  # noqa: F811
    """The page and its files come from the server itself: no CDN, no external resource."""
    import re

    import httpx

    html = httpx.get(server.http + "/").text
    assert "EchoStream" in html and "/static/app.js" in html
    refs = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert refs and all(r.startswith("/") and not r.startswith("//") for r in refs), refs
    js = {name: httpx.get(f"{server.http}/static/{name}") for name in ("app.js", "worklet.js", "style.css")}
    assert all(r.status_code == 200 and r.text for r in js.values())
    assert "url(" not in js["style.css"].text and "@import" not in js["style.css"].text
    fetched = re.findall(r'(?:fetch|addModule)\((?:"|`)([^"`]*)', js["app.js"].text)
    assert fetched and all(u.startswith("/") for u in fetched), fetched
    errors = httpx.get(server.http + "/v1/errors").json()
    assert errors["4011"]["name"] == "unauthorized" and len(errors) == len(ERRORS)


def test_microphone_path(browser, server, speech_wav):  # noqa: F811
    """Fake microphone -> worklet -> server: source words, translated words, speech played, per-word latency."""
    _, seconds = speech_wav
    page = open_page(browser, server.http, f"?token={TOKEN}&vad=0")
    # the header names the model's pair (/v1/info languages of the French test corpus's data config)
    assert (page.locator("#srclang").inner_text(), page.locator("#tgtlang").inner_text()) == ("French", "English")
    page.click("#mic")
    page.wait_for_function("() => window.echostream.state === 'streaming'", timeout=30000)
    frames = int((seconds + 0.3) * 1000 / 40)
    page.wait_for_function(f"() => window.echostream.framesSent >= {frames}", timeout=(seconds + 30) * 1000)
    page.click("#stop")
    c = wait_done(page)
    assert_translated(page, c)
    assert c["sampleRate"] and c["done"]["received_ms"] >= 1000 * seconds


def test_file_path_vad_blocks_and_download(browser, server, speech_wav):  # noqa: F811
    """A picked file streamed at real-time pace through the same path, VAD on (one block per utterance);
    the download holds the translated speech (WAV), the texts and the timeline."""
    import soundfile as sf

    path, seconds = speech_wav
    page = open_page(browser, server.http, f"?token={TOKEN}&vad=1")
    page.set_input_files("#file", path)
    t0 = time.monotonic()
    page.click("#filestart")
    c = wait_done(page)
    assert time.monotonic() - t0 >= seconds * 0.9  # real-time pace, not a burst
    assert_translated(page, c)
    assert page.locator("#transcript .utt").count() >= 2  # the 1 s pause cuts the stream in two
    with page.expect_download() as dl:
        page.click("#download")
    z = zipfile.ZipFile(dl.value.path())
    assert sorted(z.namelist()) == ["source.txt", "timeline.json", "translation.txt", "translation.wav"]
    audio, rate = sf.read(io.BytesIO(z.read("translation.wav")), dtype="int16")
    assert rate == 16000 and np.abs(audio).max() > 0
    timeline = json.loads(z.read("timeline.json"))
    kinds = {m["type"] for m in timeline["messages"]}
    assert {"ready", "asr", "translation", "speech", "stats", "vad", "done"} <= kinds
    assert len(timeline["words"]) == c["wordsShown"]
    assert len(z.read("translation.txt").decode().split()) == c["wordsShown"]


# ------------------------------------------------------------------------------ errors
def test_server_errors_are_shown_as_their_documented_message(browser, server, engine, speech_wav):  # noqa: F811
    # a handshake refusal (HTTP 401: the browser cannot read it; /v1/preflight says why)
    page = open_page(browser, server.http, "?token=wrong")
    page.click("#mic")
    text = error_text(page)
    assert "4011" in text and documented("unauthorized") in text, text
    assert counters(page)["state"] == "error"
    # every session in use (HTTP 503)
    old = engine.config.max_sessions
    engine.config.max_sessions = 0
    try:
        page = open_page(browser, server.http, f"?token={TOKEN}")
        page.set_input_files("#file", speech_wav[0])
        page.click("#filestart")
        text = error_text(page)
    finally:
        engine.config.max_sessions = old
    assert "4013" in text and documented("too_many_sessions") in text, text
    # an in-protocol error: `start` refused (segment not a multiple of 40 ms) -> error 4005, then close
    page = open_page(browser, server.http, f"?token={TOKEN}&segment=100")
    page.click("#mic")
    text = error_text(page)
    assert "4005" in text and documented("invalid_message") in text and "segment_ms" in text, text
    assert counters(page)["errors"][0]["code"] == 4005


def test_denied_microphone_is_explained(playwright, server):  # noqa: F811
    """A microphone exists (the fake device) but the permission prompt is answered "block"."""
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--use-fake-device-for-media-stream",
                                                                   "--deny-permission-prompts"])
    try:
        page = open_page(b, server.http, f"?token={TOKEN}")
        page.click("#mic")
        text = error_text(page)
        assert "Microphone access was denied" in text and "stream a file" in text, text
        assert counters(page)["lastError"]["name"] == "microphone_denied"
    finally:
        b.close()


# ------------------------------------------------------------------------------ reconnect
def test_reconnects_after_the_server_restarts(browser, engine):  # noqa: F811
    from server.app import BackgroundServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    old = engine.config.port
    engine.config.port = port
    try:
        with BackgroundServer(engine) as srv:
            page = open_page(browser, srv.http, f"?token={TOKEN}&vad=0")
            page.click("#mic")
            page.wait_for_function("() => window.echostream.framesSent > 10", timeout=30000)
        # the server is gone: the page says so and retries
        page.wait_for_function("() => window.echostream.state === 'reconnecting'", timeout=20000)
        with BackgroundServer(engine):
            page.wait_for_function("() => window.echostream.reconnects >= 1 && window.echostream.state === 'streaming'",
                                   timeout=30000)
            sent = counters(page)["framesSent"]
            page.wait_for_function(f"() => window.echostream.framesSent > {sent + 10}", timeout=10000)
            page.click("#stop")
            c = wait_done(page)
        assert c["sessions"] == 2 and any("Reconnected" in n for n in c["notices"]), c["notices"]
    finally:
        engine.config.port = old


# ------------------------------------------------------------------------------ capture fidelity
def test_capture_path_does_not_alias(playwright, engine, tmp_path):  # noqa: F811
    """A 48 kHz sweep as the fake microphone, through the page's capture path (native rate, the
    worklet's low-pass, f32le frames, the server's resampler): the 16 kHz audio the session is fed
    has nothing above 8 kHz folded back beyond -40 dB."""
    import soundfile as sf

    from server.app import BackgroundServer

    wav = str(tmp_path / "sweep.wav")
    sf.write(wav, sweep(), SWEEP_RATE, subtype="PCM_16")
    fed = []
    build = engine.build_stream

    def recording_build(options, vad_options):  # the test hook: what the session is fed (16 kHz)
        stream = build(options, vad_options)
        feed = stream.feed

        def rec(x, *args):
            fed.append(np.array(x, dtype=np.float32, copy=True))
            return feed(x, *args)

        stream.feed = rec
        return stream

    engine.build_stream = recording_build
    b = launch(playwright, wav)
    try:
        with BackgroundServer(engine) as srv:
            page = open_page(b, srv.http, f"?token={TOKEN}&vad=0&aec=0&ns=0&agc=0")
            page.click("#mic")
            cycle = len(sweep()) / SWEEP_RATE
            page.wait_for_function(f"() => window.echostream.framesSent >= {int(2.2 * cycle * 25)}",
                                   timeout=int(4 * cycle * 1000) + 30000)
            page.click("#stop")
            wait_done(page)
            rate = counters(page)["sampleRate"]
    finally:
        b.close()
        del engine.build_stream
    y = np.concatenate(fed)
    db = alias_db(y)
    print(f"\ncapture fidelity: context {rate} Hz -> server 16 kHz: sweep above 8 kHz at {db:.1f} dB "
          f"relative to 300-7000 Hz ({len(y) / 16000:.1f} s received)")
    assert db < -40, db
