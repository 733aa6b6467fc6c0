"""StreamSpeech baseline: chunk Conformer streaming equivalence and causality, CLI/agent, benchmark."""
import json
import os
import random
from argparse import Namespace

import pytest
import torch

from ctc_unity.models.streamspeech_encoder import ChunkConformerEncoder, chunk_causal_mask

from conftest import ROOT, TINY_UNITS, fairseq_train

N_FBANK = 157  # -> 40 encoder frames of 40 ms


def _encoder_args(**over):
    args = Namespace(input_feat_per_channel=80, input_channels=1, conv_channels=32, conv_kernel_sizes="5,5",
                     encoder_embed_dim=32, encoder_layers=2, encoder_attention_heads=4, encoder_ffn_embed_dim=64,
                     dropout=0.0, segment_length=4, depthwise_conv_kernel_size=7)
    for k, v in over.items():
        setattr(args, k, v)
    return args


def _encoder(**over):
    torch.manual_seed(0)
    enc = ChunkConformerEncoder(_encoder_args(**over))
    for layer in enc.layers:  # non-trivial BatchNorm statistics, so eval mode really uses them
        bn = layer.conv_module.batch_norm
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    return enc.eval()


def _stream(enc, x, chunk, seg):
    state, outs, emitted = enc.init_state(), [], []
    for s in range(0, x.size(1), chunk):
        o, state = enc.forward_streaming(x[:, s:s + chunk], state, segment_length=seg)
        outs.append(o)
        emitted.append(state.n_emitted)
    o, state = enc.forward_streaming(x[:, :0], state, finish=True, segment_length=seg)
    outs.append(o)
    return torch.cat(outs, 0), state, emitted


@pytest.mark.parametrize("seg,variant", [(1, {}), (3, {}), (4, {}), (7, {}), (0, {}),
                                         (3, {"attn_type": "espnet", "pos_enc_type": "rel_pos"}),
                                         (7, {"attn_type": "espnet", "pos_enc_type": "rope"})])
def test_streaming_equals_full_sequence(seg, variant):
    """Chunk sizes 3 and 7 leave a partial last chunk (40 frames); input steps do not divide T."""
    enc = _encoder(**variant)
    x = torch.randn(1, N_FBANK, 80)
    full = enc(x, torch.tensor([N_FBANK]), segment_length=seg)["encoder_out"][0]
    assert full.shape == (40, 1, 32)
    for chunk in (3, 13, 32, 200):
        out, state, emitted = _stream(enc, x, chunk, seg)
        assert out.shape == full.shape
        assert (out - full).abs().max().item() <= 1e-4, (seg, chunk)
        assert state.n_emitted == 40 and state.finished
        if seg:  # only whole chunks before the end; the stream keeps pace with the input
            assert all(n % seg == 0 for n in emitted)
            assert emitted[-1] >= 40 - 2 * seg
        else:
            assert emitted[-1] == 0
        assert state.nbytes() == N_FBANK * 80 * 4  # the whole fbank prefix is carried
    with pytest.raises(RuntimeError):
        enc.forward_streaming(x[:, :4], state)


def test_completed_chunks_do_not_change_and_future_input_is_not_seen():
    enc = _encoder()
    seg = 4
    x = torch.randn(1, N_FBANK, 80)
    full = enc(x, torch.tensor([N_FBANK]), segment_length=seg)["encoder_out"][0]
    # streaming: what was emitted after each call is final (equals the complete output)
    state, got = enc.init_state(), []
    for s in range(0, N_FBANK, 20):
        o, state = enc.forward_streaming(x[:, s:s + 20], state, segment_length=seg)
        got.append(o)
        so_far = torch.cat(got, 0)
        assert (so_far - full[: so_far.size(0)]).abs().max().item() <= 1e-4
    # perturb fbank frames >= 80: encoder frame j reads fbank frames up to 4j + 6, so frames
    # 0..18 have the same inputs; chunk-causality keeps chunks 0..3 (frames 0..15) unchanged,
    # while the chunk holding frame 19 (frames 16..19) does change.
    y = x.clone()
    y[:, 80:] = torch.randn(1, N_FBANK - 80, 80)
    pert = enc(y, torch.tensor([N_FBANK]), segment_length=seg)["encoder_out"][0]
    assert (pert[:16] - full[:16]).abs().max().item() <= 1e-5
    assert (pert[16] - full[16]).abs().max().item() > 1e-3
    # with full context every frame sees the change
    full0 = enc(x, torch.tensor([N_FBANK]), segment_length=0)["encoder_out"][0]
    pert0 = enc(y, torch.tensor([N_FBANK]), segment_length=0)["encoder_out"][0]
    assert (pert0[0] - full0[0]).abs().max().item() > 1e-3


def test_conv_is_chunk_aware_and_padding_does_not_leak():
    enc = _encoder(encoder_layers=1)
    # the depthwise conv alone: frame 3 (end of chunk 0, chunk 4) must not read frames 4..
    conv = enc.layers[0].conv_module.depthwise_conv
    x = torch.randn(1, 32, 12)
    conv.chunk_size = 4
    a = conv(x)
    x2 = x.clone()
    x2[:, :, 4:] = 0
    assert torch.allclose(conv(x2)[:, :, :4], a[:, :, :4], atol=1e-6)
    conv.chunk_size = 0
    assert not torch.allclose(conv(x2)[:, :, :4], conv(x)[:, :, :4], atol=1e-6)  # full context does
    # a padded batch gives each utterance its own output
    long, short = torch.randn(1, N_FBANK, 80), torch.randn(1, 101, 80)
    batch = torch.zeros(2, N_FBANK, 80)
    batch[0], batch[1, :101] = long[0], short[0]
    for seg in (3, 0):
        out = enc(batch, torch.tensor([N_FBANK, 101]), segment_length=seg)
        alone = enc(short, torch.tensor([101]), segment_length=seg)["encoder_out"][0]
        n = alone.size(0)
        assert out["src_lengths"][0].tolist() == [40, n]
        assert out["encoder_padding_mask"][0][1, n:].all() and not out["encoder_padding_mask"][0][1, :n].any()
        assert (out["encoder_out"][0][:n, 1] - alone[:, 0]).abs().max().item() <= 1e-4


def test_mask_sampling_and_errors():
    m = chunk_causal_mask(5, 2)
    allowed = (~m).int().tolist()
    assert allowed == [[1, 1, 0, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 1, 0], [1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]
    assert chunk_causal_mask(5, 0) is None and chunk_causal_mask(5, 5) is None
    with pytest.raises(ValueError):
        chunk_causal_mask(5, -1)
    enc = ChunkConformerEncoder(_encoder_args(multichunk=True, segment_length_choices="2,0"))
    assert (enc.embed_dim, enc.segment_length, enc.segment_length_choices) == (32, 4, [2, 0])
    enc.train()
    random.seed(0)
    x = torch.randn(2, 30, 80)
    seen = set()
    for update in range(12):
        enc.set_num_updates(update)
        enc(x, torch.tensor([30, 25]))
        seen.add(enc.last_segment_length)
    assert seen == {2, 0}
    enc.eval()
    enc(x, torch.tensor([30, 25]))
    assert enc.last_segment_length == 4
    with pytest.raises(ValueError):
        enc(x, torch.tensor([30, 25]), segment_length=-1)
    for bad in ({"pos_enc_type": "rel_pos"}, {"attn_type": "other"}, {"depthwise_conv_kernel_size": 4}):
        with pytest.raises(ValueError):
            ChunkConformerEncoder(_encoder_args(**bad))


# --------------------------------------------------------------------------- with data
def test_fairseq_train_cli_streamspeech_and_streaming_agent(tiny_data, tmp_path):
    """``fairseq-train --arch streamspeech_tiny`` (2 updates), reload, then the streaming translator."""
    save = tmp_path / "ckpt"
    log = fairseq_train(tiny_data, save, "streamspeech_tiny", "--lr", "1e-3", "--disable-validation")
    for term in ("asr_ctc_loss", "st_ctc_loss", "mt_loss", "unit_ctc_loss", "segment_length"):
        assert term in log
    assert (save / "checkpoint_last.pt").exists()

    from ctc_unity.datasets.audio_io import load_audio
    from ctc_unity.models.streamspeech import StreamSpeechModel
    from ctc_unity.streaming import OnlineFbank, SessionOptions, StreamingModel, StreamingSession

    bundle = StreamingModel.load(str(save / "checkpoint_last.pt"))
    model = bundle.model
    assert isinstance(model, StreamSpeechModel) and isinstance(model.encoder, ChunkConformerEncoder)
    assert model.args.arch == "streamspeech_tiny" and model.args.depthwise_conv_kernel_size == 5
    wav = load_audio(open(os.path.join(tiny_data, "simuleval", "dev", "wav_list.txt")).read().split()[0])[0]
    session = StreamingSession(bundle, SessionOptions(policy="alignment", encoder_segment_length=2, max_len=10,
                                                      max_sentence_ms=0, outputs=("text", "units")))
    step = 5120  # 320 ms of 16 kHz audio
    results = [session.finish(wav[s:s + step]) if s + step >= wav.numel() else session.push(wav[s:s + step])
               for s in range(0, wav.numel(), step)]
    tr = session.translator
    assert results[-1].finished and (tr.finished or len(tr.committed) == 10)
    units = [u for r in results for u in r.units]
    assert all(isinstance(u, int) and 0 <= u < TINY_UNITS for u in units)
    # the unit decoder ran over every committed position (a 2-update model may write only blanks)
    n_frames = tr.unit_state["decoder"]["n_frames"]
    assert n_frames > 0 and n_frames % model.unit_decoder.upsample_rate == 0
    assert tr.units_for_new_text() == []  # every committed token has been turned into units
    # the streamed encoder frames are the full-sequence encoding of the same features
    feats = OnlineFbank(bundle.cmvn_npz)(wav)
    with torch.no_grad():
        full = model.encoder(feats[None], torch.tensor([feats.size(0)]), segment_length=2)["encoder_out"][0]
    assert tr.enc_state.n_emitted == full.size(0)
    if tr.sentence_start == 0:  # no sentence was closed: all frames are still held
        streamed = torch.cat(tr.encoder_frames, 0)
        assert streamed.shape == full.shape and (streamed - full).abs().max().item() <= 1e-4


# --------------------------------------------------------------------------- benchmark
def test_tiny_benchmark_run_writes_json_and_plot(tmp_path):
    from conftest import load_script

    eb = load_script("benchmarks/encoder_benchmark.py")

    threads = torch.get_num_threads()
    out = tmp_path / "bench.json"
    try:
        assert eb.main(["--lengths", "1", "2", "--configs", "tiny", "--repeats", "1",
                        "--max-baseline-seconds", "1", "--output", str(out)]) == 0
    finally:
        torch.set_num_threads(threads)
    data = json.loads(out.read_text())
    assert set(data) == {"meta", "results", "ratios", "checks", "skipped"}
    assert data["meta"]["threads"] == 1 and data["meta"]["step_ms"] == 320
    got = {(r["encoder"], r["length_s"]) for r in data["results"]}
    assert got == {("echostream", 1), ("echostream", 2), ("streamspeech", 1)}
    assert data["skipped"] == [{"config": "tiny", "encoder": "streamspeech", "length_s": 2,
                                "reason": "longer than --max-baseline-seconds 1"}]
    for r in data["results"]:
        for key in ("total_s", "last_step_s", "rtf", "state_bytes_max", "per_step_s", "steps", "encoder_frames"):
            assert key in r
        assert r["steps"] == len(r["per_step_s"]) == -(-int(r["length_s"] * 100) // 32)
        assert r["encoder_frames"] == -(-int(r["length_s"] * 100) // 4)
        assert r["rtf"] == pytest.approx(r["total_s"] / r["length_s"])
    (ratio,) = data["ratios"]
    a = next(r for r in data["results"] if r["encoder"] == "echostream" and r["length_s"] == 1)
    b = next(r for r in data["results"] if r["encoder"] == "streamspeech")
    assert ratio["total_ratio"] == pytest.approx(b["total_s"] / a["total_s"])
    assert ratio["state_bytes_ratio"] == pytest.approx(b["state_bytes_max"] / a["state_bytes_max"])
    assert b["state_bytes_max"] == (96 * 80 * 4)  # fbank prefix before the last 320 ms step
    assert (tmp_path / "bench.png").stat().st_size > 0
