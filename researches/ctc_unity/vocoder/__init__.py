"""Unit vocoders for EchoStream: discrete speech units -> 16 kHz waveform.

Modules (each with one job; importing this package is cheap, nothing heavy is imported
until a function is called):

* :mod:`.code_hifigan` -- load fairseq-format CodeHiFiGAN checkpoints (``config.json`` +
  ``{"generator": state_dict}``) through fairseq's own ``CodeHiFiGANVocoder`` and
  synthesize reduced units (duration predictor, Lee et al. 2022) or 50 Hz units
  (speech-resynthesis, Polyak et al. 2021). :func:`load_vocoder` is the single entry point
  for every vocoder kind.
* :mod:`.griffin_lim` -- zero-training fallback: unit -> centroid log-mel -> Griffin-Lim.
* :mod:`.streaming` -- incremental synthesis with left context + cross-fade, and a seam
  artifact metric.
* :mod:`.discriminators`, :mod:`.losses`, :mod:`.dataset`, :mod:`.train` -- HiFi-GAN
  training (Kong et al. 2020) of fairseq's ``CodeGenerator``.
* :mod:`.bench` -- streaming-vs-whole benchmark on real data.

Conventions: waveforms are 1-D float32 tensors at 16 kHz in [-1, 1]; "frames" are 20 ms
unit frames at 50 Hz (hop 320 samples); "reduced" units are deduplicated unit ids whose
run-lengths ("durations") are counted in frames.
"""

__all__ = ["load_vocoder", "StreamingVocoder", "seam_artifact"]


def __getattr__(name):  # lazy re-exports (PEP 562)
    if name == "load_vocoder":
        from .code_hifigan import load_vocoder

        return load_vocoder
    if name in ("StreamingVocoder", "seam_artifact"):
        from . import streaming

        return getattr(streaming, name)
    raise AttributeError(name)
