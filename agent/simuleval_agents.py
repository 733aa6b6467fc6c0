"""SimulEval 1.1.4 agents of EchoStream: thin adapters over :class:`ctc_unity.streaming.StreamingSession`.

Each ``policy()`` call passes the samples that arrived since the previous call to the
instance's session (``push``, or ``finish`` once the source ended: one decision per call, as
SimulEval's evaluator expects) and turns the :class:`~ctc_unity.streaming.StepResult` into
an action:

* :class:`EchoStreamS2STAgent` writes the speech of the step (``SpeechSegment``, 16 kHz);
* :class:`EchoStreamS2TTAgent` writes the target words committed in the step;
* :class:`EchoStreamASRAgent` writes the source words the ASR-CTC prefix completed.

A step with nothing to write is a READ. The entry files ``agent/*.echostream.agent.py``
register these classes with SimulEval's ``entrypoint``.
"""
import argparse
import json
import os
import sys
from typing import List, Tuple

from ctc_unity.plugin import load as load_plugin

load_plugin()

from simuleval.agents import SpeechToSpeechAgent, SpeechToTextAgent  # noqa: E402
from simuleval.agents.actions import ReadAction, WriteAction  # noqa: E402
from simuleval.data.segments import SpeechSegment  # noqa: E402

from agent import TRAINED_VOCODER_RUNS  # noqa: E402
from ctc_unity.datasets.audio_io import SAMPLE_RATE  # noqa: E402
from ctc_unity.streaming import (DEFAULT_POLICY, POLICIES, SessionOptions, StreamingModel,  # noqa: E402
                                 StreamingSession, resolve_vocoder)
from ctc_unity.streaming.speech import DRAIN_MODES  # noqa: E402



def keep_speech_output_elapsed() -> None:
    """Make SimulEval 1.1.4 log the wall-clock ``elapsed`` times of speech-output instances.

    Its ``SpeechOutputInstance.summarize`` records ``"elapsed": []`` although the instance
    measured them, so ``simuleval --score-only --computation-aware`` could not score S2ST
    runs from ``instances.log``. Idempotent.
    """
    from simuleval.evaluator.instance import SpeechOutputInstance

    original = SpeechOutputInstance.summarize
    if getattr(original, "_keeps_elapsed", False):
        return

    def summarize(self):
        out = original(self)
        out["elapsed"] = list(self.elapsed)
        return out

    summarize._keeps_elapsed = True
    SpeechOutputInstance.summarize = summarize


keep_speech_output_elapsed()


def add_echostream_args(parser) -> None:
    """Options shared by the EchoStream agents (they map 1:1 to :class:`SessionOptions`)."""
    d = SessionOptions()
    a = parser.add_argument
    a("--model-path", required=True, help="EchoStream checkpoint (fairseq-train output)")
    a("--data-bin", default=None, help="prepared data folder (default: the one stored in the checkpoint)")
    a("--policy", default=DEFAULT_POLICY, choices=list(POLICIES), help=f"READ/WRITE policy (default {DEFAULT_POLICY})")
    a("--stride-n", type=int, default=d.stride_n, help="alignment/wait-k: tokens per decision")
    a("--lagging-k1", type=int, default=d.lagging_k1, help="alignment: MT stays K1 tokens behind the ST-CTC prefix")
    a("--word-holdback", type=int, default=d.word_holdback, help="word: ST-CTC words left untranslated")
    a("--waitk", type=int, default=d.waitk, help="wait-k: encoder segments to wait")
    a("--encoder-segment-length", type=int, default=None,
      help="Emformer segment in 40 ms frames (default: --source-segment-size / 40; 0 = full context)")
    a("--offline", action="store_true",
      help="translate at source end (the whole source first); encoder segment: --encoder-segment-length, else full context")
    a("--max-len", type=int, default=d.max_len, help="maximum target subwords per sentence")
    a("--max-sentence-ms", type=float, default=d.max_sentence_ms,
      help="close a sentence still open after this much source (ms; 0 = never)")
    a("--output-asr-translation", action="store_true", help="print the running ASR and translation")
    a("--vocoder", default=None, help="S2ST: vocoder config (code_hifigan config.json / fallback json / dir; "
                                      "default: the best that exists, see ctc_unity.streaming.resolve_vocoder)")
    a("--vocoder-checkpoint", default=None, help="S2ST: CodeHiFiGAN generator checkpoint")
    a("--min-start-ms", type=float, default=d.min_start_ms,
      help="S2ST: playout buffer: hold the translated speech until this much audio (ms) is ready "
           "(default 400; 0 = speak at the first write)")
    a("--vocoder-drain", default=d.vocoder_drain, choices=list(DRAIN_MODES),
      help="S2ST: when to emit the audio the streaming vocoder holds back (see ctc_unity.streaming.speech)")


def session_options(args, outputs: Tuple[str, ...]) -> SessionOptions:
    """:class:`SessionOptions` from the agents' parsed options (and SimulEval's ``--source-segment-size``)."""
    return SessionOptions(policy=args.policy, segment_ms=getattr(args, "source_segment_size", 320) or 320,
                          encoder_segment_length=args.encoder_segment_length, offline=args.offline,
                          stride_n=args.stride_n, lagging_k1=args.lagging_k1, word_holdback=args.word_holdback,
                          waitk=args.waitk, max_len=args.max_len, max_sentence_ms=args.max_sentence_ms,
                          outputs=outputs, vocoder_drain=args.vocoder_drain, min_start_ms=args.min_start_ms)


def agent_options(model_path: str, **overrides) -> argparse.Namespace:
    """The agents' options with their command-line defaults, for running an agent outside SimulEval.

    Args:
        model_path: EchoStream checkpoint.
        overrides: option values by attribute name (e.g. ``policy="word"``), including the three
            SimulEval options the agents read: ``source_segment_size`` (ms, default 320),
            ``device`` (default "cpu") and ``output`` (default None).

    Raises:
        ValueError: if an override names no option.
    """
    parser = argparse.ArgumentParser(add_help=False)
    add_echostream_args(parser)
    ns = parser.parse_args(["--model-path", model_path])
    ns.source_segment_size, ns.device, ns.output = 320, "cpu", None
    unknown = sorted(set(overrides) - set(vars(ns)))
    if unknown:
        raise ValueError(f"unknown agent option(s): {', '.join(unknown)}")
    for key, value in overrides.items():
        setattr(ns, key, value)
    return ns


class EchoStreamAgent:
    """Shared adapter logic; subclasses set :attr:`outputs` and implement :meth:`action`."""

    outputs: Tuple[str, ...] = ("source", "text")

    def __init__(self, args):
        super().__init__(args)
        self.args = args
        device = getattr(args, "device", "cpu") or "cpu"
        bundle = StreamingModel.load(args.model_path, args.data_bin, device)
        vocoder = None
        if "speech" in self.outputs:
            vocoder, which = resolve_vocoder(bundle.data_dir, args.vocoder, args.vocoder_checkpoint,
                                             TRAINED_VOCODER_RUNS, device)
            print(f"[echostream] {which}", file=sys.stderr)
        self.session = StreamingSession(bundle, session_options(args, self.outputs), vocoder)
        self.output_dir = getattr(args, "output", None)
        self.instances_done = 0
        self._new_instance()

    add_args = staticmethod(add_echostream_args)

    def _new_instance(self) -> None:
        self.session.reset()
        self.n_samples_read = 0
        self.source_words: List[str] = []  # of this instance (an instance is one utterance)
        self.target_words: List[str] = []

    def reset(self) -> None:
        """Called by SimulEval before each instance: clear all per-instance state."""
        if getattr(self, "session", None) is not None:
            self._new_instance()
        super().reset()

    def to(self, device: str, *args, **kwargs) -> None:
        self.session.bundle.model.to(device)
        self.session.bundle.device = self.session.translator.device = device

    def policy(self, states=None):
        """READ or WRITE after the samples that arrived since the previous call."""
        states = states or self.states
        if states.source_sample_rate not in (0, SAMPLE_RATE):
            raise ValueError(f"EchoStream agents need {SAMPLE_RATE} Hz input, got {states.source_sample_rate} Hz "
                             "(resample the audio, e.g. with the demo's loader)")
        new = states.source[self.n_samples_read:]
        self.n_samples_read = len(states.source)
        step = self.session.finish(new) if states.source_finished else self.session.push(new)
        self.source_words += step.source_words
        self.target_words += step.target_words
        if self.args.output_asr_translation and step.target_words:
            print(f"[ASR] {' '.join(self.source_words)}\n[MT ] {' '.join(self.target_words)}", file=sys.stderr)
        if step.finished:
            self._save_instance_texts()
        return self.action(step)

    def action(self, step):
        """The SimulEval action for a :class:`StepResult`."""
        raise NotImplementedError

    @staticmethod
    def _words_action(words: List[str], finished: bool):
        if words or finished:
            return WriteAction(" ".join(words), finished=finished)
        return ReadAction()

    def _save_instance_texts(self) -> None:
        if not self.output_dir or self.session.translator.n_encoder_frames == 0:
            return
        os.makedirs(self.output_dir, exist_ok=True)
        record = {"index": self.instances_done, "asr": " ".join(self.source_words),
                  "translation": " ".join(self.target_words)}
        self.instances_done += 1
        with open(os.path.join(self.output_dir, "echostream_texts.jsonl"), "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


class EchoStreamS2STAgent(EchoStreamAgent, SpeechToSpeechAgent):
    """Simultaneous S2ST: writes the translated speech (16 kHz) of each step."""

    outputs = ("source", "text", "speech")

    def action(self, step):
        samples = step.speech.tolist()
        if step.finished:
            if not samples:  # SimulEval writes the wav only on a non-empty final segment
                samples = [0.0] * 160
            return WriteAction(SpeechSegment(content=samples, sample_rate=SAMPLE_RATE, finished=True), finished=True)
        if samples:
            return WriteAction(SpeechSegment(content=samples, sample_rate=SAMPLE_RATE, finished=False), finished=False)
        return ReadAction()


class EchoStreamS2TTAgent(EchoStreamAgent, SpeechToTextAgent):
    """Simultaneous S2TT: writes the target words committed in each step."""

    outputs = ("source", "text")

    def action(self, step):
        return self._words_action(step.target_words, step.finished)


class EchoStreamASRAgent(EchoStreamAgent, SpeechToTextAgent):
    """Streaming ASR from the ASR-CTC head: writes the source words completed in each step."""

    outputs = ("source",)

    def action(self, step):
        return self._words_action(step.source_words, step.finished)
