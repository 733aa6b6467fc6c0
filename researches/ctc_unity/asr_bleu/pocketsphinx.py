"""PocketSphinx back end: the US-English model shipped inside the ``pocketsphinx`` 5.x wheel.

A weak (about 58% WER on espeak-ng English) but fully independent, download-free ASR.
Follows the ``pocketsphinx.Decoder`` API of pocketsphinx 5 (``Decoder()`` with the default
configuration = wheel's ``en-us`` acoustic model, ``en-us.lm.bin`` language model and
``cmudict-en-us.dict``; ``process_raw`` on 16-bit PCM with ``full_utt=True``).
"""
import threading

import numpy as np
import torch

from .transcriber import Transcriber, as_waveform


class PocketsphinxTranscriber(Transcriber):
    """Full-utterance PocketSphinx decoding with the default en-us model.

    Args:
        loglevel: PocketSphinx log level (``"FATAL"`` keeps its C logging quiet).
        **config: extra ``pocketsphinx.Decoder`` options (e.g. ``lm=...``, ``dict=...``).

    Raises:
        ImportError: if pocketsphinx is not installed.
    """

    name = "pocketsphinx-en-us"

    def __init__(self, loglevel: str = "FATAL", **config) -> None:
        from pocketsphinx import Decoder  # the installed package (absolute import)

        self._decoder = Decoder(loglevel=loglevel, **config)
        self._lock = threading.Lock()
        rate = int(self._decoder.config["samprate"])
        if rate != self.sample_rate:
            raise ValueError(f"pocketsphinx model expects {rate} Hz audio, not {self.sample_rate} Hz")

    def transcribe(self, waveform: torch.Tensor) -> str:
        """Decode one utterance.

        Args:
            waveform: ``(n_samples,)`` float audio at 16 kHz in [-1, 1] (clipped, then
                converted to int16 PCM).

        Returns:
            the best hypothesis (lower-case words, fillers removed), ``""`` if none.

        Raises:
            AudioError: empty, all-zero or non-finite audio.
        """
        wav = as_waveform(waveform).numpy()
        pcm = (np.clip(wav, -1.0, 1.0) * 32767.0).astype(np.int16).tobytes()
        with self._lock:
            self._decoder.start_utt()
            self._decoder.process_raw(pcm, no_search=False, full_utt=True)
            self._decoder.end_utt()
            hyp = self._decoder.hyp()
        return hyp.hypstr.strip() if hyp is not None else ""
