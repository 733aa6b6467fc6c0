"""SimulEval 1.1.4 quality scorers ``ASR_BLEU_OFFLINE`` and ``ASR_BLEU_OFFLINE_CEILING``.

SimulEval's own ``ASR_BLEU`` shells out to fairseq's ``compute_asr_bleu.py`` (downloads a
wav2vec2 model) and ``WHISPER_ASR_BLEU`` needs whisper; these scorers run the toolkit's ASR
back ends in process instead (:func:`~.transcriber.build_transcriber`).

What a scorer receives (``simuleval/evaluator/evaluator.py``: ``scorer(self.instances)``):
a dict ``index -> instance``. For speech output the instance is a ``SpeechToSpeechInstance``
whose ``.prediction`` is the absolute path ``<output>/wavs/<index>_pred.wav`` (written by
``SpeechOutputInstance.summarize``; **no file** when the agent produced no speech), and
``.reference`` is the line of ``--target``. With ``--score-only`` it is a ``LogInstance``
read from ``instances.log`` whose ``.prediction`` is the same path as a string. Missing or
silent prediction wavs are scored as empty hypotheses (counted, logged); unreadable wavs
raise.

``ASR_BLEU_OFFLINE`` returns the ASR-BLEU of the predictions. It also transcribes the
reference target speech (the ceiling) when a reference wav list is known -- from
``--asr-reference-wav-list``, or by default ``tgt_wav_list.txt`` beside ``--source`` (the
layout of ``data/<corpus>/s2st/simuleval/<split>/``) -- logs both, and writes
``<output>/asr_bleu_offline.json`` (scores, WER, hypotheses, ceiling) and
``<output>/asr_bleu_offline_transcripts.txt``. ``ASR_BLEU_OFFLINE_CEILING`` returns the
ceiling alone, so that both numbers appear in SimulEval's score table (computed once per
process and shared).

Options: ``--asr-backend pocketsphinx|ctc:PATH|wav2vec2:PATH`` (default ``pocketsphinx``),
``--asr-reference-wav-list LIST``, ``--asr-no-ceiling``, ``--asr-device cpu|cuda``,
``--sacrebleu-tokenizer`` (SimulEval's, default ``13a``).

**Registration.** SimulEval looks metrics up in ``add_scorer_args`` -- right after
importing ``--user-dir`` and **before** it imports the agent file, so importing this module
from an agent is too late. Use one of:

1. ``simuleval --user-dir researches/ctc_unity/asr_bleu ... --quality-metrics ASR_BLEU_OFFLINE``
   (the package imports this module when loaded as a SimulEval user dir);
2. ``python -m ctc_unity.asr_bleu.simuleval_cli <simuleval arguments>`` -- the
   ``simuleval`` command with these scorers registered, compatible with any ``--user-dir``
   (e.g. ``--user-dir researches/ctc_unity`` for the fairseq plugin);
3. inside ``researches/ctc_unity/__init__.py``'s ``if __name__ == "ctc_unity":`` block,
   ``from .asr_bleu import simuleval_scorer`` -- then ``--user-dir researches/ctc_unity``
   registers them too.
"""
import json
import logging
import math
import os
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from simuleval.evaluator.scorers.quality_scorer import QualityScorer, add_sacrebleu_args, register_quality_scorer

from ..datasets.atomic import atomic_open, write_json_atomic
from .scorer import asr_bleu, read_lines, score_reference_speech
from .transcriber import Transcriber, build_transcriber

logger = logging.getLogger("simuleval.scorer.asr_bleu_offline")

NAME = "ASR_BLEU_OFFLINE"
CEILING_NAME = "ASR_BLEU_OFFLINE_CEILING"
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")

_TRANSCRIBERS: Dict[Tuple[str, str], Transcriber] = {}
_CEILINGS: Dict[tuple, Dict] = {}


def get_transcriber(spec: str, device: str = "cpu") -> Transcriber:
    """:func:`~.transcriber.build_transcriber`, cached per ``(spec, device)`` in this process."""
    key = (spec, device)
    if key not in _TRANSCRIBERS:
        _TRANSCRIBERS[key] = build_transcriber(spec, device=device)
    return _TRANSCRIBERS[key]


def default_reference_wav_list(source: Optional[str]) -> Optional[str]:
    """``tgt_wav_list.txt`` beside SimulEval's ``--source`` list if it exists, else ``None``."""
    if not source:
        return None
    candidate = os.path.join(os.path.dirname(os.path.abspath(source)), "tgt_wav_list.txt")
    return candidate if os.path.isfile(candidate) else None


def prediction_path(instance, index) -> str:
    """The wav path of a speech-output instance's ``.prediction``.

    Raises:
        ValueError: the prediction is not an audio path (a text-output system).
    """
    pred = instance.prediction
    if isinstance(pred, Path) or (isinstance(pred, str) and (pred.lower().endswith(AUDIO_EXTENSIONS)
                                                             or os.path.isfile(pred))):
        return os.fspath(pred)
    raise ValueError(f"{NAME}: instance {index} has prediction {str(pred)[:60]!r}, not an audio file path; "
                     f"this metric scores speech output (agents with target_type speech)")


def _add(parser, flag: str, **kwargs) -> None:
    if flag not in getattr(parser, "_option_string_actions", {}):
        parser.add_argument(flag, **kwargs)


@register_quality_scorer(NAME)
class OfflineASRBLEUScorer(QualityScorer):
    """ASR-BLEU of SimulEval speech output with a local ASR back end (see the module docstring).

    Args:
        backend: back-end spec or :class:`~.transcriber.Transcriber` (``pocketsphinx``,
            ``ctc:PATH``, ``wav2vec2:PATH``).
        tokenizer: sacrebleu tokenizer.
        reference_wav_list: list of reference target speech files (line i = instance i), or
            ``None`` (no ceiling).
        ceiling: also score the reference speech when the list is known.
        output: SimulEval output folder for the JSON report (``None``: no files).
        device: torch device for neural back ends.
        report: file stem of the report in ``output`` (``<report>.json``, ``<report>_transcripts.txt``);
            a second judge of the same run writes under another stem (``scripts/rescore_simuleval.py``).
        ceiling_cache: JSON file keeping the ceiling across processes (one sweep scores the same
            reference speech once per judge); reused only when judge, tokenizer, wavs and references match.
    """

    def __init__(self, backend="pocketsphinx", tokenizer: str = "13a", reference_wav_list: Optional[str] = None,
                 ceiling: bool = True, output: Optional[str] = None, device: str = "cpu",
                 report: str = "asr_bleu_offline", ceiling_cache: Optional[str] = None) -> None:
        super().__init__()
        self.backend = backend
        self.tokenizer = tokenizer
        self.reference_wav_list = reference_wav_list
        self.with_ceiling = ceiling
        self.output = output
        self.device = device
        self.report = report
        self.ceiling_cache = ceiling_cache

    def transcriber(self) -> Transcriber:
        """The back end (built on first use, cached per process)."""
        if isinstance(self.backend, Transcriber):
            return self.backend
        return get_transcriber(self.backend, self.device)

    @staticmethod
    def _collect(instances: Dict) -> Tuple[List[int], List[str], List[str]]:
        """Corpus indices, prediction wav paths and references, in instance order.

        The corpus index is ``instance.index`` (with ``--start-index``, SimulEval's dict keys
        of log instances are offsets from it, while ``.index`` is the line of the data lists).
        """
        keys = sorted(instances.keys())
        indices = [int(getattr(instances[k], "index", k)) for k in keys]
        return (indices, [prediction_path(instances[k], i) for k, i in zip(keys, indices)],
                [instances[k].reference for k in keys])

    def ceiling(self, instances: Dict) -> Optional[Dict]:
        """ASR-BLEU of the reference speech of these instances, or ``None`` without a reference list.

        Raises:
            ValueError: an instance index beyond the reference wav list.
            AudioError: bad reference audio (named).
        """
        if not self.with_ceiling or not self.reference_wav_list:
            return None
        indices, _, refs = self._collect(instances)
        ref_wavs = read_lines(self.reference_wav_list)
        if indices and max(indices) >= len(ref_wavs):
            raise ValueError(f"{NAME}: instance {max(indices)} but {self.reference_wav_list} has {len(ref_wavs)} lines")
        wavs = [ref_wavs[i] for i in indices]
        key = (str(getattr(self.transcriber(), "name", self.backend)), self.tokenizer, tuple(wavs), tuple(refs))
        stored_key = [key[0], key[1], wavs, refs]  # the key as JSON keeps it
        if key not in _CEILINGS and self.ceiling_cache and os.path.isfile(self.ceiling_cache):
            with open(self.ceiling_cache, encoding="utf-8") as fh:
                cached = json.load(fh)
            if cached.get("key") == stored_key:
                _CEILINGS[key] = cached["ceiling"]
        if key not in _CEILINGS:
            _CEILINGS[key] = score_reference_speech(wavs, refs, self.transcriber(), tokenize=self.tokenizer)
            if self.ceiling_cache:
                write_json_atomic(self.ceiling_cache, {"key": stored_key, "ceiling": _CEILINGS[key]})
        return _CEILINGS[key]

    def score(self, instances: Dict) -> Dict:
        """ASR-BLEU result of :func:`~.scorer.asr_bleu` (``empty_ok``) plus ``ceiling`` and ``indices``.

        Writes the JSON report and transcripts into ``output`` when set.
        """
        indices, wavs, refs = self._collect(instances)
        result = asr_bleu(wavs, refs, self.transcriber(), tokenize=self.tokenizer, empty_ok=True)
        result["indices"] = indices
        result["ceiling"] = self.ceiling(instances)
        ceil = result["ceiling"]
        logger.info(f"{NAME} = {result['bleu']:.2f} (WER {result['wer']:.2f} %, {result['n_empty']} empty of "
                    f"{result['n']}; ASR {result['asr']})"
                    + (f"; ceiling on reference speech {ceil['bleu']:.2f} (WER {ceil['wer']:.2f} %)" if ceil else
                       "; no reference speech list, no ceiling"))
        if self.output:
            os.makedirs(self.output, exist_ok=True)
            write_json_atomic(os.path.join(self.output, f"{self.report}.json"), result)
            with atomic_open(os.path.join(self.output, f"{self.report}_transcripts.txt")) as fh:
                for h in result["hyps"]:
                    fh.write(h + "\n")
        return result

    def __call__(self, instances: Dict) -> float:
        """ASR-BLEU (0-100) of the instances' speech predictions (SimulEval scorer API)."""
        return self.score(instances)["bleu"]

    @staticmethod
    def add_args(parser) -> None:
        """Add the scorer's options (idempotent: both scorers share them)."""
        if "--sacrebleu-tokenizer" not in getattr(parser, "_option_string_actions", {}):
            add_sacrebleu_args(parser)
        _add(parser, "--asr-backend", type=str, default="pocketsphinx",
             help="ASR of ASR_BLEU_OFFLINE: pocketsphinx | ctc:CHECKPOINT | wav2vec2:EXPORT_DIR")
        _add(parser, "--asr-reference-wav-list", type=str, default=None,
             help="reference target speech list for the ceiling (default: tgt_wav_list.txt beside --source)")
        _add(parser, "--asr-no-ceiling", action="store_true", help="do not score the reference speech")
        _add(parser, "--asr-device", type=str, default="cpu", help="torch device of neural ASR back ends")

    @classmethod
    def from_args(cls, args):
        """Build from SimulEval's parsed arguments."""
        ref_list = (getattr(args, "asr_reference_wav_list", None)
                    or default_reference_wav_list(getattr(args, "source", None)))
        return cls(backend=args.asr_backend, tokenizer=getattr(args, "sacrebleu_tokenizer", "13a"),
                   reference_wav_list=ref_list, ceiling=not getattr(args, "asr_no_ceiling", False),
                   output=getattr(args, "output", None), device=getattr(args, "asr_device", "cpu"))


@register_quality_scorer(CEILING_NAME)
class OfflineASRBLEUCeilingScorer(OfflineASRBLEUScorer):
    """ASR-BLEU of the reference target speech of the evaluated instances (the ceiling).

    Same options as :class:`OfflineASRBLEUScorer`. Returns NaN (with an error log) when no
    reference wav list is known.
    """

    def __call__(self, instances: Dict) -> float:
        """Ceiling BLEU (0-100), or NaN without a reference wav list."""
        self.with_ceiling = True
        result = self.ceiling(instances)
        if result is None:
            logger.error(f"{CEILING_NAME}: no reference speech (give --asr-reference-wav-list)")
            return math.nan
        return result["bleu"]
