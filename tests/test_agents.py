"""Streaming inference and SimulEval agents: exactness, policies, latency metrics, reset, evaluator runs."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from ctc_unity.datasets.audio_io import load_audio
from ctc_unity.datasets.prepare import compute_fbank

from conftest import ROOT


@pytest.fixture(scope="module")
def loaded(tiny_checkpoint):
    from ctc_unity.evaluation import load_model

    model, task, _ = load_model(tiny_checkpoint["checkpoint"])
    mtl = task.multitask_tasks
    dicts = (mtl[model.asr_task_name].target_dictionary, mtl[model.mt_task_name].target_dictionary)
    cmvn = task.data_cfg.config["global_cmvn"]["stats_npz_path"]
    wavs = open(os.path.join(task.args.data, "simuleval", "dev", "wav_list.txt")).read().split()
    return model, task, dicts, cmvn, wavs


def _stream(tr, policy, wav, chunk):
    tr.reset()
    policy.reset()
    for s in range(0, wav.numel(), chunk):
        tr.read(wav[s:s + chunk].tolist(), s + chunk >= wav.numel())
        n = policy.decide(tr)
        if n:
            tr.commit(n)
        if tr.hyp.tokens:
            tr.rollback()
    return tr


def test_online_fbank_equals_offline(loaded):
    from agent.online_features import OnlineFbank

    *_, cmvn, wavs = loaded
    wav = load_audio(wavs[0])[0]
    stats = np.load(cmvn)
    offline = (compute_fbank(wav) - stats["mean"]) / stats["std"]
    fb = OnlineFbank(cmvn)
    parts = [fb(wav[s:s + 1234]) for s in range(0, wav.numel(), 1234)]
    online = torch.cat(parts).numpy()
    assert online.shape == offline.shape
    assert np.abs(online - offline).max() < 1e-3


@pytest.mark.parametrize("policy_name", ["alignment", "word", "wait-k"])
def test_streaming_with_full_segment_equals_offline_greedy(loaded, policy_name):
    from fairseq.sequence_generator import SequenceGenerator

    from agent.policies import build_policy
    from agent.streaming_translator import StreamingTranslator

    model, task, (asr_dict, mt_dict), cmvn, wavs = loaded
    task.load_dataset("dev")
    ds = task.dataset("dev")
    gen = SequenceGenerator([model], mt_dict, beam_size=1, max_len_b=25)
    model.encoder.segment_length = 0
    tr = StreamingTranslator(model, asr_dict, mt_dict, cmvn, segment_length=0, max_len=25)
    policy = build_policy(policy_name)
    for i in range(len(wavs)):
        _stream(tr, policy, load_audio(wavs[i])[0], 5120)
        offline = gen.generate([model], ds.collater([ds[i]]))[0][0]["tokens"].tolist()
        assert tr.committed + [mt_dict.eos()] == offline[: len(tr.committed) + 1]
        assert tr.finished or len(tr.committed) == 25



def _greedy_units(model, logits):
    ud = model.unit_decoder.dictionary
    out, last = [], None
    for u in logits.argmax(-1)[:, 0].tolist():
        if u != last and u != ud.bos() and u >= ud.nspecial:
            out.append(u - ud.nspecial)
        last = u
    return out


@pytest.mark.parametrize("unit_states", ["read", "predict", "tokens"])
def test_streamed_units_equal_offline_units(loaded, unit_states):
    """Units written piece by piece equal one unit-decoder pass over the same decoder positions
    (or tokens), and (full context) the offline teacher-forced units; ``predict`` and ``tokens``
    drop the ``</s>`` position."""
    from agent.policies import build_policy
    from agent.streaming_translator import StreamingTranslator
    from ctc_unity.modules.unit_text_encoder import UnitTextEncoder

    model, task, (asr_dict, mt_dict), cmvn, wavs = loaded
    old, old_segment = getattr(model.args, "unit_states", None), model.encoder.segment_length
    model.args.unit_states = unit_states
    if unit_states == "tokens":  # window 3 < the written text: the streamed cache is truncated
        torch.manual_seed(0)
        model.unit_text_encoder = UnitTextEncoder(mt_dict, model.args.decoder_embed_dim, 2, 2, 32,
                                                  dropout=0.0, window=3).eval()
    try:
        wav = load_audio(wavs[0])[0]
        # chunked stream, units fetched after every policy step
        tr = StreamingTranslator(model, asr_dict, mt_dict, cmvn, segment_length=2, max_len=25)
        policy = build_policy("word")
        units = []
        for s in range(0, wav.numel(), 1280):
            tr.read(wav[s:s + 1280].tolist(), s + 1280 >= wav.numel())
            n = policy.decide(tr)
            if n:
                tr.commit(n)
            if tr.hyp.tokens:
                tr.rollback()
            got = tr.units_for_new_text(word_final=True)  # the word policy writes whole words
            if n and unit_states == "tokens":  # nothing held back: a written word's units come at once
                assert "pending" not in tr.unit_text_state
            units += got
        assert tr.finished
        n_tokens = len(tr.all_committed())
        with torch.no_grad():
            if unit_states == "tokens":
                assert tr.unit_tokens == tr.all_committed() and not tr.committed_states
                states = model.unit_text_encoder(torch.tensor(tr.unit_tokens)[:, None])
            else:
                assert len(tr.committed_states) == n_tokens + (1 if unit_states == "read" else 0)
                states = torch.cat(tr.committed_states, 0)
            whole, _ = model.unit_decoder(states, None)
        assert units and units == _greedy_units(model, whole)
        # full context: equal to the offline decoder teacher-forced on the same tokens
        model.encoder.segment_length = 0
        tr = StreamingTranslator(model, asr_dict, mt_dict, cmvn, segment_length=0, max_len=25)
        _stream(tr, build_policy("word"), wav, 5120)
        streamed = tr.units_for_new_text()
        x = (compute_fbank(wav) - np.load(cmvn)["mean"]) / np.load(cmvn)["std"]
        x = torch.from_numpy(np.asarray(x, dtype=np.float32))[None]
        with torch.no_grad():
            enc = model.encoder(x, torch.tensor([x.size(1)]), segment_length=0)
            prev = torch.tensor([[mt_dict.eos()] + tr.all_committed()])
            _, extra = model.decoder(prev, encoder_out=enc)
            logits, mask = model.unit_logits(prev, extra)
        if mask is not None:
            logits = logits[~mask[0]]
        assert streamed == _greedy_units(model, logits)
    finally:
        model.args.unit_states, model.encoder.segment_length = old, old_segment
        model.unit_text_encoder = None


def test_unit_input_mask_drops_the_eos_position(loaded):
    model = loaded[0]
    pad = torch.tensor([[False, False, False, True], [False, False, False, False]])
    old = getattr(model.args, "unit_states", None)
    try:
        model.args.unit_states = "predict"
        mask = model.unit_input_mask(pad, 4, 2, "cpu")
        assert mask.tolist() == [[False, False, True, True], [False, False, False, True]]
        with pytest.raises(ValueError):
            model.unit_input_mask(torch.tensor([[False, True]]), 2, 1, "cpu")
        model.args.unit_states = "read"
        assert model.unit_input_mask(torch.zeros(2, 4, dtype=torch.bool), 4, 2, "cpu") is None
    finally:
        model.args.unit_states = old


def test_cross_attention_cache_extension_equals_full_projection(loaded):
    from agent.streaming_translator import StreamingTranslator

    model, task, (asr_dict, mt_dict), cmvn, wavs = loaded
    tr = StreamingTranslator(model, asr_dict, mt_dict, cmvn, segment_length=2, max_len=25)
    wav = load_audio(wavs[0])[0]
    half = wav.numel() // 2
    tr.read(wav[:half].tolist(), False)
    assert tr.n_encoder_frames > 0
    tr.next_token()
    tr.read(wav[half:].tolist(), True)  # appends the new frames' keys/values
    frames = torch.cat(tr.encoder_frames, 0)
    for layer in model.decoder.layers:
        attn = layer.encoder_attn
        buf = attn._get_input_buffer(tr.mt_cache)
        k = attn.k_proj(frames).view(frames.size(0), attn.num_heads, attn.head_dim).permute(1, 0, 2)[None]
        assert buf["prev_key"].shape == k.shape
        assert torch.allclose(buf["prev_key"], k, atol=1e-5)


def test_word_policy_commits_whole_words_and_alignment_respects_lagging(loaded):
    from agent.policies import AlignmentPolicy, WordPolicy
    from agent.streaming_translator import StreamingTranslator

    model, task, (asr_dict, mt_dict), cmvn, wavs = loaded
    wav = load_audio(wavs[1])[0]
    tr = StreamingTranslator(model, asr_dict, mt_dict, cmvn, segment_length=2, max_len=25)
    word = WordPolicy(holdback=0)
    tr.reset()
    for s in range(0, wav.numel(), 1280):
        fin = s + 1280 >= wav.numel()
        tr.read(wav[s:s + 1280].tolist(), fin)
        n = word.decide(tr)
        if n:
            tr.commit(n)
            if not fin:  # after a non-final WRITE the committed text ends at a word boundary
                nxt = tr.hyp.tokens[n - n:]  # remaining tentative tokens start the next word
                if nxt:
                    assert mt_dict[nxt[0]].startswith("\u2581") or nxt[0] == mt_dict.eos()
        if tr.hyp.tokens:
            tr.rollback()
    # alignment: with lagging K1 the committed length never exceeds the ST-CTC prefix minus K1
    align = AlignmentPolicy(stride_n=1, lagging_k1=2)
    tr.reset()
    for s in range(0, wav.numel(), 1280):
        fin = s + 1280 >= wav.numel()
        tr.read(wav[s:s + 1280].tolist(), fin)
        n = align.decide(tr)
        if n:
            tr.commit(n)
        if not fin:
            assert len(tr.committed) <= max(0, len(tr.st_tokens) - 2)
        if tr.hyp.tokens:
            tr.rollback()


def test_latency_metrics_on_hand_built_instance():
    """AL / LAAL / StartOffset / EndOffset / AP on a hand-built instance vs. hand computation."""
    from simuleval.evaluator.instance import LogInstance
    from simuleval.evaluator.scorers.latency_scorer import (
        ALScorer, APScorer, EndOffsetScorer, LAALScorer, StartOffsetScorer)

    info = {"index": 0, "prediction": "a b c d", "delays": [1000.0, 2000.0, 3000.0, 3000.0],
            "elapsed": [1100.0, 2200.0, 3300.0, 3400.0], "prediction_length": 4,
            "reference": "a b c", "source_length": 3000.0}
    ins = LogInstance(json.dumps(info))
    # AL (reference length 3): gamma = 3/3000; tau = first index with delay >= 3000 -> 3 terms
    # (1000 - 0) + (2000 - 1000) + (3000 - 2000) = 3000 ; / 3 = 1000
    assert ALScorer()({0: ins}) == pytest.approx(1000.0)
    # LAAL uses max(|Y*|, |Y|) = 4: gamma = 4/3000 -> (1000) + (2000 - 750) + (3000 - 1500) = 3750 / 3 = 1250
    assert LAALScorer()({0: ins}) == pytest.approx(1250.0)
    assert StartOffsetScorer()({0: ins}) == pytest.approx(1000.0)
    assert EndOffsetScorer()({0: ins}) == pytest.approx(0.0)
    # AP = sum(delays) / (|X| * |Y|) = 9000 / (3000 * 3)
    assert APScorer()({0: ins}) == pytest.approx(1.0)
    assert ALScorer(computation_aware=True)({0: ins}) == pytest.approx((1100 + (2200 - 1000) + (3300 - 2000)) / 3)


def _run_simuleval(agent_file, checkpoint, data, out, extra=()):
    cmd = [os.path.join(os.path.dirname(sys.executable), "simuleval"), "--agent", os.path.join(ROOT, "agent", agent_file),
           "--model-path", checkpoint, "--source", os.path.join(data, "simuleval", "dev", "wav_list.txt"),
           "--target", os.path.join(data, "simuleval", "dev", "target.txt"), "--source-segment-size", "320",
           "--output", str(out), "--max-len", "20", "--latency-metrics", "AL", "LAAL", "StartOffset", "EndOffset",
           "ATD", *extra]
    if "--quality-metrics" not in extra:
        cmd += ["--quality-metrics", "BLEU"]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return res


@pytest.mark.parametrize("agent_file,policy", [("speech_to_text.s2tt.echostream.agent.py", "word"),
                                               ("speech_to_text.asr.echostream.agent.py", "alignment")])
def test_agents_run_under_simuleval_evaluator(tiny_checkpoint, tiny_data, tmp_path, agent_file, policy):
    out = tmp_path / "out"
    _run_simuleval(agent_file, tiny_checkpoint["checkpoint"], tiny_data, out, ["--policy", policy])
    lines = (out / "instances.log").read_text().strip().split("\n")
    assert len(lines) == 2
    for line in lines:
        ins = json.loads(line)
        assert all(d2 >= d1 for d1, d2 in zip(ins["delays"], ins["delays"][1:]))
    scores = (out / "scores.tsv").read_text()
    for metric in ("BLEU", "AL", "LAAL", "StartOffset", "EndOffset", "ATD"):
        assert metric in scores
    texts = [json.loads(x) for x in (out / "echostream_texts.jsonl").read_text().strip().split("\n")]
    assert [t["index"] for t in texts] == [0, 1]


def test_s2st_agent_runs_under_simuleval_evaluator(tiny_checkpoint, tiny_data, griffin_lim_config, tmp_path):
    """The S2ST agent under SimulEval's evaluator: speech segments, wavs, ASR-BLEU and latency scores."""
    out = tmp_path / "s2st"
    _run_simuleval("speech_to_speech.echostream.agent.py", tiny_checkpoint["checkpoint"], tiny_data, out,
                   ["--policy", "word", "--vocoder", griffin_lim_config, "--user-dir",
                    os.path.join(ROOT, "researches", "ctc_unity", "asr_bleu"), "--quality-metrics", "ASR_BLEU_OFFLINE",
                    "--asr-backend", "pocketsphinx"])
    lines = [json.loads(x) for x in (out / "instances.log").read_text().strip().split("\n")]
    assert len(lines) == 2
    for ins in lines:
        assert len(ins["delays"]) == len(ins["durations"]) >= 1
        assert ins["prediction_length"] > 0 and os.path.isfile(ins["prediction"])
    scores = (out / "scores.tsv").read_text()
    for metric in ("ASR_BLEU_OFFLINE", "AL", "StartOffset", "EndOffset"):
        assert metric in scores


def test_reset_leaves_no_state(loaded):
    from agent.policies import build_policy
    from agent.streaming_translator import StreamingTranslator

    model, task, (asr_dict, mt_dict), cmvn, wavs = loaded
    a, b = load_audio(wavs[0])[0], load_audio(wavs[1])[0]
    fresh = _stream(StreamingTranslator(model, asr_dict, mt_dict, cmvn, 2, 25), build_policy("alignment"), b, 2560)
    expected = (list(fresh.committed), list(fresh.asr_tokens), list(fresh.st_tokens))
    tr = StreamingTranslator(model, asr_dict, mt_dict, cmvn, 2, 25)
    policy = build_policy("alignment")
    _stream(tr, policy, a, 2560)
    _stream(tr, policy, b, 2560)
    assert (tr.committed, tr.asr_tokens, tr.st_tokens) == expected


def test_sentence_segmentation_bounds_the_mt_context(loaded):
    from agent.streaming_translator import Hypothesis, StreamingTranslator

    model, task, (asr_dict, mt_dict), cmvn, wavs = loaded
    a, b = load_audio(wavs[0])[0], load_audio(wavs[1])[0]
    tr = StreamingTranslator(model, asr_dict, mt_dict, cmvn, segment_length=2, max_len=25)
    tr.read(a.tolist(), False)
    first_sentence = [tr.next_token() for _ in range(2)]
    tr.commit(2)
    tr.rollback()
    frames_before = tr.n_encoder_frames
    dim = model.decoder.embed_dim
    tr.hyp = Hypothesis(tokens=[mt_dict.eos()], states=[torch.zeros(1, 1, dim)], ended=True)
    extra = len(tr.committed) + 2 - len(tr.sentence_st_tokens) + 1  # pretend ST-CTC saw more target words
    tr.st_tokens += [mt_dict.index("\u2581the")] * extra
    tr.st_frames += [frames_before - 1] * extra
    assert tr.should_end_sentence()
    tr.end_sentence()
    assert tr.sentences == [first_sentence] and tr.committed == [] and tr.mt_cache == {}
    assert tr.sentence_start >= frames_before - 3
    kept = sum(f.size(0) for f in tr.encoder_frames)
    assert kept == tr.sentence_frames == frames_before - tr.sentence_start
    tr.read(b.tolist(), True)
    assert tr.next_token() is not None
    buf = model.decoder.layers[0].encoder_attn._get_input_buffer(tr.mt_cache)
    assert buf["prev_key"].size(2) == tr.sentence_frames < tr.n_encoder_frames  # only this sentence's frames
    assert tr.all_committed()[:2] == first_sentence
    assert len(tr.committed_states) == 3  # two tokens + the </s> of the closed sentence


@pytest.fixture(scope="module")
def griffin_lim_config(tiny_data, tmp_path_factory):
    from ctc_unity.vocoder.griffin_lim import make_griffin_lim_config

    path = str(tmp_path_factory.mktemp("gl") / "gl.json")
    make_griffin_lim_config(os.path.join(tiny_data, "units"), n_iter=4, out_path=path)
    return path


@pytest.fixture(scope="module")
def s2st_agent(tiny_checkpoint, griffin_lim_config):
    from agent.demo import load_agent_class
    from agent.simuleval_base import agent_options

    ns = agent_options(tiny_checkpoint["checkpoint"], policy="alignment", max_len=20, vocoder=griffin_lim_config,
                       source_segment_size=160, vocoder_drain="underrun", min_start_ms=0.0)
    return load_agent_class("speech_to_speech")(ns)


def _scripted_timeline(agent, drain, script):
    """Feed ``(source_ms, units)`` writes to the agent's synthesis step; return SimulEval's playback.

    Each write with audio becomes ``(start_ms, duration_ms, held_back_frames_after, pause_before_ms)``,
    placed as SimulEval 1.1.4 places speech segments: ``start = max(previous end, delay)``.
    """
    agent.args.vocoder_drain = drain
    agent.reset()
    writes, prev_end = [], None
    for i, (now_ms, units) in enumerate(script):
        agent.n_samples_read = int(16 * now_ms)
        audio = agent._synthesize(units, done=i == len(script) - 1)
        if not audio:
            continue
        start = now_ms if prev_end is None else max(prev_end, now_ms)
        pause = 0.0 if prev_end is None else start - prev_end
        writes.append((start, 1000.0 * len(audio) / 16000, agent.vocoder.held_back_frames(), pause))
        prev_end = writes[-1][0] + writes[-1][1]
    return writes


def test_s2st_agent_drains_the_vocoder_before_a_pause(s2st_agent):
    """--vocoder-drain underrun: a pause in the output only follows a write that left nothing held back."""
    rng = np.random.default_rng(0)
    k = s2st_agent.vocoder.vocoder.n_units
    # short writes (pauses unavoidable), READ steps without units, then a long write (no pause)
    sizes = [2, 0, 3, 1, 0, 0, 2, 30, 1, 0, 2, 0]
    script = [(160.0 * (i + 1), rng.integers(0, k, size=n).tolist()) for i, n in enumerate(sizes)]
    timelines = {mode: _scripted_timeline(s2st_agent, mode, script) for mode in ("underrun", "never", "always")}
    total = {mode: sum(w[1] for w in writes) for mode, writes in timelines.items()}
    assert total["underrun"] == pytest.approx(total["never"]) == pytest.approx(total["always"])
    for writes in timelines.values():
        assert writes[-1][2] == 0  # the end flushes everything
    pauses = [(prev, cur) for prev, cur in zip(timelines["underrun"], timelines["underrun"][1:]) if cur[3] > 1e-6]
    assert pauses, "the script produced no pause: the test would check nothing"
    for prev, _ in pauses:
        assert prev[2] == 0, f"pause after a write that still held {prev[2]} frames back"
    # without draining, pauses fall inside the written audio (held-back frames wait behind them)
    never = timelines["never"]
    assert any(prev[2] > 0 for prev, cur in zip(never, never[1:]) if cur[3] > 1e-6)
    # 'underrun' holds back while the queue covers the next segment: some write keeps a look-ahead
    assert any(w[2] > 0 for w in timelines["underrun"][:-1])
    assert all(w[2] == 0 for w in timelines["always"])


def test_auto_vocoder_drain_follows_policy_and_unit_states(s2st_agent):
    """--vocoder-drain auto: 'always' only for whole-word writes with complete units (word policy,
    --unit-states tokens); an explicit mode is kept."""
    from agent.policies import build_policy

    agent, old_policy = s2st_agent, s2st_agent.policy_impl
    old_states = getattr(agent.model.args, "unit_states", None)
    try:
        agent.args.vocoder_drain = "auto"
        for policy, states, expected in [("word", "tokens", "always"), ("word", "read", "underrun"),
                                         ("alignment", "tokens", "underrun"), ("wait-k", "predict", "underrun")]:
            agent.policy_impl = build_policy(policy)
            agent.model.args.unit_states = states
            assert agent.vocoder_drain_mode() == expected, (policy, states)
        agent.args.vocoder_drain = "never"
        assert agent.vocoder_drain_mode() == "never"
    finally:
        agent.policy_impl, agent.model.args.unit_states = old_policy, old_states
        agent.args.vocoder_drain = "underrun"


def test_min_start_ms_holds_the_first_audio_then_plays_everything(s2st_agent):
    """--min-start-ms: nothing is written until that much audio is ready; then all of it at once,
    later writes go out as they come, and the total audio is the same as without the buffer."""
    rng = np.random.default_rng(1)
    k = s2st_agent.vocoder.vocoder.n_units
    script = [(160.0 * (i + 1), rng.integers(0, k, size=n).tolist()) for i, n in enumerate([2, 0, 3, 4, 6, 2, 5])]
    old = s2st_agent.args.min_start_ms
    try:
        s2st_agent.args.min_start_ms = 0.0
        plain = _scripted_timeline(s2st_agent, "always", script)
        s2st_agent.args.min_start_ms = 300.0
        buffered = _scripted_timeline(s2st_agent, "always", script)
    finally:
        s2st_agent.args.min_start_ms = old
    assert plain[0][1] < 300.0, "the first write is already long: the test would check nothing"
    assert buffered[0][1] >= 300.0 and buffered[0][0] > plain[0][0]
    assert sum(w[1] for w in buffered) == pytest.approx(sum(w[1] for w in plain))
    # after the first write nothing is held: the remaining writes are the unbuffered ones
    n_held = len(plain) - len(buffered) + 1
    assert [w[1] for w in buffered[1:]] == pytest.approx([w[1] for w in plain[n_held:]])


def test_demo_streams_a_stereo_44k_recording_and_rejects_an_empty_one(tiny_checkpoint, griffin_lim_config, loaded,
                                                                      tmp_path):
    """agent.demo: resamples and downmixes, writes speech, texts and a timeline; empty input is a clear error."""
    import soundfile as sf

    from agent.demo import main

    wav = load_audio(loaded[4][0])[0].numpy()
    t = np.arange(int(len(wav) * 44100 / 16000)) / 44100
    mono44 = np.interp(t, np.arange(len(wav)) / 16000, wav)
    stereo = np.stack([mono44, 0.5 * mono44], axis=1).astype(np.float32)
    src = tmp_path / "rec.flac"
    sf.write(src, stereo, 44100)
    out = tmp_path / "out.wav"
    main(["--model", tiny_checkpoint["checkpoint"], "--input", str(src), "--output", str(out),
          "--vocoder", griffin_lim_config, "--segment-ms", "160"])
    audio, sr = sf.read(out)
    assert sr == 16000 and audio.ndim == 1 and len(audio) > 0
    timeline = json.loads((tmp_path / "out.timeline.json").read_text())
    assert timeline["policy"] == "word" and timeline["input_seconds"] == pytest.approx(len(wav) / 16000, abs=0.01)
    assert len(timeline["timeline"]) == int(np.ceil(len(wav) / 2560))
    written = [w for e in timeline["timeline"] for w in e["target_words_written"]]
    assert " ".join(written) == (tmp_path / "out.txt").read_text().strip()
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros((0,), dtype=np.float32), 16000)
    with pytest.raises(Exception, match="empty"):
        main(["--model", tiny_checkpoint["checkpoint"], "--input", str(empty), "--output", str(tmp_path / "e.wav"),
              "--vocoder", griffin_lim_config])


def test_agent_options_have_the_command_line_defaults_and_reject_unknown_names():
    from agent.simuleval_base import agent_options

    ns = agent_options("m.pt", policy="word")
    assert (ns.model_path, ns.policy, ns.min_start_ms, ns.vocoder_drain, ns.source_segment_size) == \
        ("m.pt", "word", 400.0, "auto", 320)
    with pytest.raises(ValueError, match="min_start"):
        agent_options("m.pt", min_start=1.0)
