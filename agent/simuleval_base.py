"""Shared SimulEval 1.1.4 logic of the EchoStream agents (S2ST, S2TT, streaming ASR).

One :class:`EchoStreamAgentMixin` holds the model, a :class:`StreamingTranslator` (the state
of the current instance) and a policy; the entry files combine it with SimulEval's
``SpeechToTextAgent`` / ``SpeechToSpeechAgent`` and choose what is written:

* ``asr``: complete source words of the ASR-CTC prefix;
* ``s2tt``: complete target words of the committed MT tokens;
* ``s2st``: speech for the committed MT tokens (CTC unit decoder + unit vocoder); the
  streaming vocoder's held-back audio is drained when the listener's playback would run dry
  (``--vocoder-drain``), so the pauses SimulEval inserts fall after the written text.

Every ``policy()`` call reads only the samples that arrived since the previous call.
"""
import argparse
import json
import logging
import os
import sys
import time
from typing import List, Optional

import torch

from ctc_unity.plugin import load as load_plugin  # noqa: E402

load_plugin()

from simuleval.agents.actions import ReadAction, WriteAction  # noqa: E402
from simuleval.data.segments import SpeechSegment  # noqa: E402

from .policies import build_policy  # noqa: E402
from .streaming_translator import StreamingTranslator  # noqa: E402

logger = logging.getLogger("echostream.agent")
FRAME_MS = 40  # one encoder frame
SAMPLE_RATE = 16000  # agents read and write 16 kHz audio


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
    """Options shared by the EchoStream agents."""
    a = parser.add_argument
    a("--model-path", required=True, help="EchoStream checkpoint (fairseq-train output)")
    a("--data-bin", default=None, help="prepared data folder (default: the one stored in the checkpoint)")
    a("--policy", default="alignment", choices=["alignment", "word", "wait-k"])
    a("--stride-n", type=int, default=1, help="alignment/wait-k: tokens per decision")
    a("--lagging-k1", type=int, default=0, help="alignment: MT stays K1 tokens behind the ST-CTC prefix")
    a("--word-holdback", type=int, default=0, help="word: ST-CTC words left untranslated")
    a("--waitk", type=int, default=3, help="wait-k: encoder segments to wait")
    a("--encoder-segment-length", type=int, default=None,
      help="Emformer segment in 40 ms frames (default: --source-segment-size / 40; 0 = full context)")
    a("--offline", action="store_true", help="full-context encoder, translate at source end")
    a("--max-len", type=int, default=200, help="maximum target subwords")
    a("--output-asr-translation", action="store_true", help="print the running ASR and translation")
    a("--vocoder", default=None, help="S2ST: vocoder config (code_hifigan config.json / fallback json / dir)")
    a("--vocoder-checkpoint", default=None, help="S2ST: CodeHiFiGAN generator checkpoint")
    a("--min-start-ms", type=float, default=400.0,
      help="S2ST: hold the translated speech until this much audio (ms) is ready, then start speaking "
           "(a playout buffer at the start of each instance; default 400; 0 = speak at the first write). Without it the "
           "first short word is usually followed by a pause while the next source word arrives")
    a("--vocoder-drain", default="auto", choices=["auto", "underrun", "always", "never"],
      help="S2ST: when to emit the audio the streaming vocoder holds back (its look-ahead frames and the "
           "last units' durations): 'underrun' when the listener's playback would run dry before "
           "the next source segment arrives, so that the pause falls after the written text and not inside "
           "its last phone; 'always' at every write; 'never' (only at the end); 'auto' (default): 'always' "
           "when every write ends with complete units of a whole word (word policy and a model with "
           "--unit-states tokens), else 'underrun' (each measured best in its case)")


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


class EchoStreamAgentMixin:
    """Model loading, per-instance state and the READ/WRITE loop (see module docstring)."""

    output_kind = "s2tt"

    def _setup(self, args) -> None:
        from ctc_unity.evaluation import load_model

        self.args = args
        device = getattr(args, "device", "cpu") or "cpu"
        self.model, self.task, _ = load_model(args.model_path, args.data_bin, device)
        seg = args.encoder_segment_length
        if args.offline:
            seg = 0
        elif seg is None:
            seg = max(1, round(getattr(args, "source_segment_size", 320) / FRAME_MS))
        mtl = self.task.multitask_tasks
        asr_dict = mtl[self.model.asr_task_name].target_dictionary
        mt_dict = mtl[self.model.mt_task_name].target_dictionary
        cmvn = self.task.data_cfg.config.get("global_cmvn", {}).get("stats_npz_path")
        self.translator = StreamingTranslator(self.model, asr_dict, mt_dict, cmvn, seg, args.max_len, device)
        self.policy_impl = build_policy(args.policy, args.stride_n, args.lagging_k1, args.word_holdback,
                                        args.waitk, seg or 1)
        import sentencepiece as spm

        def spm_of(name):
            return spm.SentencePieceProcessor(
                model_file=os.path.splitext(mtl[name].args.config["dict"])[0] + ".model")

        self.asr_spm, self.tgt_spm = spm_of(self.model.asr_task_name), spm_of(self.model.mt_task_name)
        self.vocoder = None
        if self.output_kind == "s2st":
            self.vocoder = self._build_vocoder(args)
        self.output_dir = getattr(args, "output", None)
        self.instances_done = 0
        self._new_instance()

    def _build_vocoder(self, args):
        from ctc_unity.vocoder import load_vocoder
        from ctc_unity.vocoder.streaming import StreamingVocoder

        spec = args.vocoder or os.path.join(self.task.args.data, "vocoder")
        return StreamingVocoder(load_vocoder(spec, args.vocoder_checkpoint, device=self.translator.device))

    # ------------------------------------------------------------------ per instance
    def _new_instance(self) -> None:
        self.translator.reset()
        self.policy_impl.reset()
        self.n_samples_read = 0
        self.sentences_written = 0  # closed sentences whose words were all written
        self.words_written = 0  # words written of the sentence at index sentences_written
        self.asr_words_written = 0
        self.policy_seconds: List[float] = []
        self.playback_end_ms = 0.0  # S2ST: when the listener will have heard all written audio
        self.start_buffer: List[torch.Tensor] = []  # S2ST: audio held before the first write (--min-start-ms)
        self.speaking = False  # S2ST: the first audio has been written
        if self.vocoder is not None:
            self.vocoder.reset()

    def _save_instance_texts(self) -> None:
        if not self.output_dir or self.translator.n_encoder_frames == 0:
            return
        os.makedirs(self.output_dir, exist_ok=True)
        record = {"index": self.instances_done, "asr": self.asr_text(), "translation": self.translation_text()}
        self.instances_done += 1
        with open(os.path.join(self.output_dir, "echostream_texts.jsonl"), "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")

    def reset(self) -> None:
        """Called by SimulEval before each instance: clear all per-instance state."""
        if getattr(self, "translator", None) is not None:
            self._new_instance()
        super().reset()

    def to(self, device: str, *args, **kwargs) -> None:
        self.model.to(device)
        self.translator.device = device

    # ------------------------------------------------------------------ text
    def asr_text(self) -> str:
        return self.asr_spm.decode(self.translator.pieces(self.translator.asr_tokens, self.translator.asr_dict))

    def translation_text(self) -> str:
        return self.tgt_spm.decode(self.translator.pieces(self.translator.all_committed()))

    def _new_target_words(self, done: bool) -> List[str]:
        """Target words completed since the last call; cost bounded by the current sentence.

        Words of closed sentences are complete; in the current sentence a word is complete
        once the next one started (or ``done``).
        """
        tr = self.translator
        new: List[str] = []
        while self.sentences_written < len(tr.sentences):  # sentences closed since the last call
            words = self.tgt_spm.decode(tr.pieces(tr.sentences[self.sentences_written])).split()
            new += words[self.words_written:]
            self.sentences_written += 1
            self.words_written = 0
        pieces = tr.pieces(tr.committed)
        n = tr.complete_words(pieces, done)
        if n > self.words_written:
            new += self.tgt_spm.decode(pieces).split()[self.words_written:n]
            self.words_written = n
        return new

    # ------------------------------------------------------------------ policy
    def policy(self, states=None):
        """READ or WRITE after the samples that arrived since the previous call."""
        t0 = time.perf_counter()
        states = states or self.states
        if states.source_sample_rate not in (0, SAMPLE_RATE):
            raise ValueError(f"EchoStream agents need 16 kHz input, got {states.source_sample_rate} Hz "
                             "(resample the audio, e.g. with the demo's loader)")
        new = states.source[self.n_samples_read:]
        self.n_samples_read = len(states.source)
        tr = self.translator
        if new or (states.source_finished and not tr.source_finished):
            tr.read(new, states.source_finished)
        action = self._act(states)
        self.policy_seconds.append(time.perf_counter() - t0)
        return action

    def _act(self, states):
        action = self._decide_action()
        if action.is_read() is False and action.finished:
            self._save_instance_texts()
        return action

    def _decide_action(self):
        tr = self.translator
        if self.output_kind == "asr":
            n = tr.complete_source_words()
            words = []
            if n > self.asr_words_written:  # decode only the newly completed words
                starts = tr.asr_word_starts + [len(tr.asr_tokens)]
                span = tr.asr_tokens[starts[self.asr_words_written]:starts[n]]
                words = self.asr_spm.decode(tr.pieces(span, tr.asr_dict)).split()
                self.asr_words_written = n
            if tr.source_finished:
                return WriteAction(" ".join(words), finished=True)
            return WriteAction(" ".join(words), finished=False) if words else ReadAction()
        n = self.policy_impl.decide(tr)
        if n:
            tr.commit(n)
        if tr.should_end_sentence():
            tr.end_sentence()
        if tr.hyp.tokens:
            tr.rollback()
        done = tr.finished or (tr.source_finished and tr.hyp.ended) or (
            tr.source_finished and len(tr.committed) >= tr.max_len)
        if tr.source_finished and not done:
            done = True  # nothing more can be generated
        if n and self.args.output_asr_translation:
            print(f"[ASR] {self.asr_text()}\n[MT ] {self.translation_text()}", file=sys.stderr)
        if self.output_kind == "s2tt":
            words = self._new_target_words(done)
            if done:
                return WriteAction(" ".join(words), finished=True)
            return WriteAction(" ".join(words), finished=False) if words else ReadAction()
        # s2st
        units = tr.units_for_new_text(word_final=self.policy_impl.name == "word" or done)
        samples = self._synthesize(units, done)
        if done:
            if not samples:  # SimulEval writes the wav only on a non-empty final segment
                samples = [0.0] * 160
            return WriteAction(SpeechSegment(content=samples, sample_rate=SAMPLE_RATE, finished=True), finished=True)
        if samples:
            return WriteAction(SpeechSegment(content=samples, sample_rate=SAMPLE_RATE, finished=False), finished=False)
        return ReadAction()

    def vocoder_drain_mode(self) -> str:
        """The effective ``--vocoder-drain`` (``auto`` resolved as its help says)."""
        mode = self.args.vocoder_drain
        if mode != "auto":
            return mode
        whole_words = self.policy_impl.name == "word" and self.model.unit_states == "tokens"
        return "always" if whole_words else "underrun"

    def _synthesize(self, units: List[int], done: bool) -> List[float]:
        """Audio for newly written units, draining the vocoder as ``--vocoder-drain`` says.

        The playback clock follows SimulEval 1.1.4's speech-output timeline: a segment
        written after ``now`` ms of source starts at ``max(playback end, now)``. With
        ``underrun`` the vocoder is drained when the audio queued for the listener ends
        before the next source segment (``--source-segment-size`` ms) can arrive, i.e. when a
        pause is unavoidable anyway. O(new units) per call.

        Args:
            units: reduced unit ids written since the previous call (may be empty).
            done: the instance ends: everything is flushed.

        Returns:
            float samples at 16 kHz (possibly none).
        """
        mode = self.vocoder_drain_mode()
        out = self.vocoder.push(units, final=done, drain=mode == "always") if (units or done) else torch.zeros(0)
        now_ms = 1000.0 * self.n_samples_read / SAMPLE_RATE
        start_ms = max(self.playback_end_ms, now_ms)
        if mode == "underrun" and not done and self.vocoder.held_back_frames() > 0:
            segment_ms = getattr(self.args, "source_segment_size", 320) or 320
            if start_ms + 1000.0 * out.numel() / SAMPLE_RATE - now_ms < segment_ms:
                out = torch.cat([out, self.vocoder.push([], drain=True)])
        if not self.speaking:  # --min-start-ms: the playout buffer before the first write
            self.start_buffer.append(out)
            held = sum(x.numel() for x in self.start_buffer)
            if not done and 1000.0 * held / SAMPLE_RATE < self.args.min_start_ms:
                return []
            out = torch.cat(self.start_buffer)
            self.start_buffer = []
            self.speaking = out.numel() > 0
        if out.numel():
            self.playback_end_ms = start_ms + 1000.0 * out.numel() / SAMPLE_RATE
        return out.tolist()


def echostream_agent_class(simuleval_base, output_kind: str, name: str):
    """Build an EchoStream SimulEval agent class.

    Args:
        simuleval_base: ``SpeechToTextAgent`` or ``SpeechToSpeechAgent``.
        output_kind: ``"asr"``, ``"s2tt"`` or ``"s2st"`` (what the agent writes).
        name: class name (shown by SimulEval).
    """

    def __init__(self, args):
        simuleval_base.__init__(self, args)
        self._setup(args)

    return type(name, (EchoStreamAgentMixin, simuleval_base), {
        "__init__": __init__,
        "output_kind": output_kind,
        "add_args": staticmethod(add_echostream_args),
        "__doc__": f"EchoStream {output_kind} agent (see agent/simuleval_base.py).",
    })
