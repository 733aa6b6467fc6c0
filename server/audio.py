"""Client audio frames -> float32 16 kHz: decoding and streaming-exact resampling."""
import math
from typing import Optional

import numpy as np
import torch
import torchaudio.functional as AF

from .protocol import ProtocolError

TARGET_RATE = 16000
LOWPASS_WIDTH = 6  # torchaudio's default lowpass_filter_width
ROLLOFF = 0.99  # torchaudio's default rolloff


def decode(frame: bytes, encoding: str) -> np.ndarray:
    """A binary frame -> float32 samples in [-1, 1].

    Raises:
        ProtocolError: empty frame, not whole samples, or NaN/Inf (f32le).
    """
    if not frame:
        raise ProtocolError("empty_frame", "empty binary frame")
    if encoding == "pcm_s16le":
        if len(frame) % 2:
            raise ProtocolError("bad_audio_frame", f"pcm_s16le frame of {len(frame)} bytes: not whole 16-bit samples")
        return np.frombuffer(frame, dtype="<i2").astype(np.float32) / 32768.0
    if len(frame) % 4:
        raise ProtocolError("bad_audio_frame", f"f32le frame of {len(frame)} bytes: not whole 32-bit samples")
    x = np.frombuffer(frame, dtype="<f4").astype(np.float32)
    bad = ~np.isfinite(x)
    if bad.any():
        raise ProtocolError("non_finite_samples", f"f32le frame with {int(bad.sum())} NaN/Inf sample(s)")
    return x


class StreamingResampler:
    """``torchaudio.functional.resample`` applied to a stream chunk by chunk, with the result of
    resampling the whole stream at once (up to float rounding).

    The input is processed in whole periods of ``orig/gcd`` samples (so every output sample has the
    phase it has offline) with ``context`` samples of the input kept on each side: a period is
    resampled once the ``context`` samples after it have arrived (latency: ``context`` + up to one
    period of input, 10-20 ms at 44.1 or 48 kHz). The stream starts with zeros before it, as
    torchaudio pads; :meth:`flush` pads zeros after it and emits the tail (``ceil(n * 16000 / orig)``
    samples in all, as offline), then the next audio continues from a fresh start.
    """

    def __init__(self, orig_rate: int, new_rate: int = TARGET_RATE):
        self.orig, self.new = int(orig_rate), int(new_rate)
        g = math.gcd(self.orig, self.new)
        self.a, self.b = self.orig // g, self.new // g  # input / output samples per period
        width = math.ceil(LOWPASS_WIDTH * self.a / (min(self.a, self.b) * ROLLOFF))  # filter half-width, input samples
        self.context = self.a * math.ceil((width + 2) / self.a)
        self.passthrough = self.orig == self.new
        self.reset()

    def reset(self) -> None:
        self.buf = np.zeros(self.context, dtype=np.float32)  # context zeros before the stream start
        self.n_in = 0  # stream input samples received since the start
        self.n_out = 0  # output samples emitted since the start

    def _run(self, x: np.ndarray) -> np.ndarray:
        y = AF.resample(torch.from_numpy(x).unsqueeze(0), self.a, self.b, lowpass_filter_width=LOWPASS_WIDTH,
                        rolloff=ROLLOFF)[0].numpy()
        return y

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """New input samples -> the output samples now determined."""
        if self.passthrough:
            return x
        self.buf = np.concatenate([self.buf, x.astype(np.float32, copy=False)])
        self.n_in += x.size
        # buf = [context | periods ... | right context]; resample whole periods that have their right context
        periods = (self.buf.size - 2 * self.context) // self.a
        if periods <= 0:
            return np.zeros(0, dtype=np.float32)
        span = periods * self.a
        y = self._run(self.buf[:span + 2 * self.context])
        skip = self.context * self.b // self.a
        out = y[skip:skip + periods * self.b]
        self.buf = self.buf[span:]
        self.n_out += out.size
        return out.astype(np.float32, copy=False)

    def flush(self) -> np.ndarray:
        """The tail (zeros after the stream), then a fresh start."""
        if self.passthrough:
            return np.zeros(0, dtype=np.float32)
        total = math.ceil(self.n_in * self.new / self.orig)
        need = total - self.n_out
        out = np.zeros(0, dtype=np.float32)
        if need > 0:
            pad = np.zeros(self.context + self.a, dtype=np.float32)
            x = np.concatenate([self.buf, pad])
            periods = (x.size - 2 * self.context) // self.a
            y = self._run(x[:periods * self.a + 2 * self.context])
            skip = self.context * self.b // self.a
            out = y[skip:skip + need].astype(np.float32, copy=False)
        self.reset()
        return out


def make_resampler(rate: int) -> Optional[StreamingResampler]:
    return None if rate == TARGET_RATE else StreamingResampler(rate)
