"""ASR-BLEU: transcribe speech with an ASR back end, score the transcripts with sacrebleu.

Follows fairseq's / StreamSpeech's ``examples/speech_to_speech/asr_bleu/compute_asr_bleu.py``
(ASR transcript of each output wav, corpus BLEU with sacrebleu's defaults: 13a tokenization,
4-grams, exponential smoothing off for corpus BLEU) with one change: hypotheses **and**
references go through the same :func:`~.normalize.normalize_text` (their reference text is
assumed pre-normalized, their hypothesis only lower-cased).

Every ASR-BLEU should be reported next to its **ceiling**: the ASR-BLEU of the reference
target speech with the same ASR (:func:`score_reference_speech`), which measures the ASR's
own errors. :func:`evaluate` returns both.

Audio items (``wavs``) may be:

* a path (``str`` / ``os.PathLike``): read with
  :func:`ctc_unity.datasets.audio_io.load_audio` -- other sample rates are
  resampled to 16 kHz and stereo is downmixed, each with a log line;
* a ``torch.Tensor`` / ``numpy.ndarray`` of shape ``(n_samples,)``: taken as 16 kHz;
* a tuple ``(array, sample_rate)``: ``sample_rate`` must be 16000 -- in-memory audio is
  **not** resampled silently; another rate raises ``ValueError`` naming the item.

Bad audio raises :class:`~ctc_unity.datasets.audio_io.AudioError` (a
``ValueError``) naming the item: missing / unreadable file, empty (0 samples), silent (all
zeros), NaN/inf, wrong shape. With ``empty_ok=True`` (used for system outputs, where an
agent that produced nothing writes no wav or a silent one) missing, empty and silent audio
gives an empty hypothesis instead, counted in ``n_empty``; unreadable files still raise.
"""
import logging
import os
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import sacrebleu
import torch

from ..datasets.audio_io import SAMPLE_RATE, AudioError, read_audio, to_mono_16k
from ..modules.ctc_decoding import error_rate
from .normalize import NORMALIZATION_VERSION, normalize_text
from .transcriber import Transcriber, as_waveform, build_transcriber

logger = logging.getLogger(__name__)

AudioItem = Union[str, os.PathLike, torch.Tensor, np.ndarray, tuple]


def _describe(item, index: int) -> str:
    if isinstance(item, (str, os.PathLike)):
        return f"item {index} ({os.fspath(item)})"
    return f"item {index} (in-memory audio)"


def load_item(item: AudioItem, index: int, empty_ok: bool = False) -> Optional[torch.Tensor]:
    """Turn one audio item into a ``(n_samples,)`` float32 16 kHz tensor.

    Args:
        item: path, ``(n,)`` tensor/array (16 kHz), or ``(array, sample_rate)``.
        index: position in the list (for messages).
        empty_ok: return ``None`` instead of raising for a missing file or empty / all-zero audio.

    Returns:
        the waveform, or ``None`` (only with ``empty_ok``).

    Raises:
        AudioError: missing, unreadable, empty, silent, non-finite or mis-shaped audio
            (message names the item and the file).
        ValueError: ``(array, rate)`` with ``rate != 16000``.
        TypeError: unsupported item type.
    """
    name = _describe(item, index)
    if isinstance(item, (str, os.PathLike)):
        path = os.fspath(item)
        if empty_ok and not os.path.exists(path):
            logger.warning(f"{name}: file not found, scored as an empty hypothesis")
            return None
        try:
            data, rate = read_audio(path)
            if empty_ok and (data.size == 0 or not np.any(data)):
                logger.warning(f"{name}: empty or silent audio, scored as an empty hypothesis")
                return None
            wav, _ = to_mono_16k(data, rate, path)
        except AudioError as e:  # the message already names the file
            raise AudioError(f"item {index}: {e}") from None
        return wav
    if isinstance(item, tuple):
        if len(item) != 2:
            raise TypeError(f"{name}: expected (array, sample_rate), got a tuple of {len(item)}")
        item, rate = item
        if int(rate) != SAMPLE_RATE:
            raise ValueError(f"{name}: audio declared at {rate} Hz, expected {SAMPLE_RATE} Hz; resample it first "
                             f"(torchaudio.functional.resample) or pass a file path")
    if empty_ok and isinstance(item, (np.ndarray, torch.Tensor)):
        flat = item if isinstance(item, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(item))
        if flat.numel() == 0 or not torch.any(flat != 0):
            logger.warning(f"{name}: empty or silent audio, scored as an empty hypothesis")
            return None
    return as_waveform(item, name)


def transcribe_items(wavs: Sequence[AudioItem], transcriber: Transcriber, empty_ok: bool = False,
                     progress: bool = False) -> Dict:
    """Load and transcribe every item.

    Args:
        wavs: audio items (see module docstring).
        transcriber: the ASR back end.
        empty_ok: see :func:`load_item`.
        progress: show a tqdm bar.

    Returns:
        dict: ``raw_hyps`` (transcripts as output by the back end), ``empty`` (indices scored
        as empty), ``audio_seconds`` (total duration transcribed).

    Raises:
        see :func:`load_item`.
    """
    items = list(wavs)
    if progress:
        from tqdm import tqdm

        items_iter = tqdm(items, desc=f"ASR ({getattr(transcriber, 'name', 'asr')})", unit="utt")
    else:
        items_iter = items
    raw, empty, seconds = [], [], 0.0
    for i, item in enumerate(items_iter):
        wav = load_item(item, i, empty_ok=empty_ok)
        if wav is None:
            raw.append("")
            empty.append(i)
            continue
        seconds += wav.numel() / SAMPLE_RATE
        raw.append(transcriber.transcribe(wav))
    return {"raw_hyps": raw, "empty": empty, "audio_seconds": seconds}


def bleu_and_wer(hyps: Sequence[str], references: Sequence[str], tokenize: str = "13a") -> Dict:
    """Corpus BLEU (sacrebleu) and WER of already-normalized hypotheses and references.

    Args:
        hyps: one hypothesis per sentence.
        references: one reference per sentence.
        tokenize: sacrebleu tokenizer.

    Returns:
        dict: ``bleu`` (0-100), ``bleu_signature``, ``bleu_str`` (sacrebleu's line: n-gram
        precisions, BP, lengths), ``precisions`` (4 floats, %), ``bp``, ``sys_len``,
        ``ref_len``, ``wer`` (corpus word error rate, %; ``None`` if all references are empty).

    Raises:
        ValueError: different numbers of hypotheses and references, or no sentence.
    """
    if len(hyps) != len(references):
        raise ValueError(f"{len(hyps)} hypotheses for {len(references)} references")
    if not hyps:
        raise ValueError("no sentence to score")
    metric = sacrebleu.metrics.BLEU(tokenize=tokenize)
    score = metric.corpus_score(list(hyps), [list(references)])
    ref_words = [r.split() for r in references]
    wer = error_rate([h.split() for h in hyps], ref_words) if any(ref_words) else None
    return {"bleu": score.score, "bleu_signature": str(metric.get_signature()), "bleu_str": str(score),
            "precisions": list(score.precisions), "bp": score.bp, "sys_len": score.sys_len,
            "ref_len": score.ref_len, "wer": wer}


def asr_bleu(wavs: Sequence[AudioItem], references: Sequence[str], transcriber: Union[Transcriber, str],
             tokenize: str = "13a", empty_ok: bool = False, progress: bool = False) -> Dict:
    """ASR-BLEU of speech against reference texts.

    Args:
        wavs: ``N`` audio items (paths, ``(n,)`` 16 kHz tensors/arrays, or ``(array, rate)``).
        references: ``N`` reference sentences (raw; normalized here).
        transcriber: a :class:`~.transcriber.Transcriber` or a back-end spec
            (``pocketsphinx``, ``ctc:PATH``, ``wav2vec2:PATH``).
        tokenize: sacrebleu tokenizer (``13a`` as in fairseq's ASR-BLEU).
        empty_ok: score missing/empty/silent audio as an empty hypothesis (see :func:`load_item`).
        progress: show a progress bar.

    Returns:
        dict: ``bleu``, ``wer`` (%), ``n``, ``n_empty``, ``hyps`` and ``refs`` (normalized),
        ``raw_hyps``, ``empty`` (indices), ``audio_seconds``, ``asr`` (back-end name),
        ``normalization``, plus BLEU details of :func:`bleu_and_wer`.

    Raises:
        ValueError: ``len(wavs) != len(references)``; wrong declared sample rate.
        AudioError: bad audio (names the item), see :func:`load_item`.
    """
    wavs = list(wavs)
    if len(wavs) != len(references):
        raise ValueError(f"{len(wavs)} audio items for {len(references)} references")
    transcriber = build_transcriber(transcriber)
    out = transcribe_items(wavs, transcriber, empty_ok=empty_ok, progress=progress)
    hyps = [normalize_text(h) for h in out["raw_hyps"]]
    refs = [normalize_text(r) for r in references]
    result = {"n": len(hyps), "n_empty": len(out["empty"]),
              "asr": getattr(transcriber, "name", type(transcriber).__name__), "normalization": NORMALIZATION_VERSION}
    result.update(bleu_and_wer(hyps, refs, tokenize))
    result.update({"hyps": hyps, "refs": refs, "raw_hyps": out["raw_hyps"], "empty": out["empty"],
                   "audio_seconds": out["audio_seconds"]})
    return result


def score_reference_speech(reference_wavs: Sequence[AudioItem], references: Sequence[str],
                           transcriber: Union[Transcriber, str], tokenize: str = "13a", progress: bool = False) -> Dict:
    """The ceiling: ASR-BLEU of the **reference target speech** with the same ASR.

    Same arguments and result as :func:`asr_bleu` (strict audio checks: reference speech must
    be valid); the BLEU a perfect S2ST system could get with this ASR.
    """
    return asr_bleu(reference_wavs, references, transcriber, tokenize=tokenize, empty_ok=False, progress=progress)


def evaluate(wavs: Sequence[AudioItem], references: Sequence[str], transcriber: Union[Transcriber, str],
             reference_wavs: Optional[Sequence[AudioItem]] = None, tokenize: str = "13a", empty_ok: bool = False,
             progress: bool = False) -> Dict:
    """ASR-BLEU of system speech and, when reference speech is given, its ceiling.

    Args:
        wavs: ``N`` system output audio items.
        references: ``N`` reference sentences.
        transcriber: back end or spec (built once, used for both).
        reference_wavs: ``N`` reference target speech items, or ``None``.
        tokenize, empty_ok, progress: see :func:`asr_bleu`.

    Returns:
        dict: ``asr_bleu`` (result of :func:`asr_bleu`), ``ceiling`` (result of
        :func:`score_reference_speech` or ``None``), ``asr`` (back-end name).

    Raises:
        see :func:`asr_bleu`; ValueError if ``reference_wavs`` has another length.
    """
    transcriber = build_transcriber(transcriber)
    if reference_wavs is not None and len(reference_wavs) != len(references):
        raise ValueError(f"{len(reference_wavs)} reference audio items for {len(references)} references")
    result = asr_bleu(wavs, references, transcriber, tokenize=tokenize, empty_ok=empty_ok, progress=progress)
    ceiling = None
    if reference_wavs is not None:
        ceiling = score_reference_speech(reference_wavs, references, transcriber, tokenize=tokenize, progress=progress)
    return {"asr": result["asr"], "asr_bleu": result, "ceiling": ceiling}


def read_lines(path: str) -> List[str]:
    """Lines of a text file (wav list or references), trailing newline removed.

    Raises:
        FileNotFoundError: naming the file.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"file not found: {path}")
    with open(path, encoding="utf-8") as fh:
        return [line.rstrip("\n") for line in fh]
