"""EchoStream model: streaming equivalence, CLI registration, overfitting, checkpoints, multi-chunk."""
import math
import os
import random
from argparse import Namespace

import pytest
import sacrebleu
import torch

from ctc_unity.models.echostream_encoder import EchoStreamEncoder, parse_segment_lengths
from ctc_unity.modules.causal_transformer import CausalTransformerStack
from ctc_unity.modules.streaming_subsampler import StreamingConv1dSubsampler

from conftest import ROOT, TINY_UNITS, fairseq_train


def _encoder_args(**over):
    args = Namespace(input_feat_per_channel=80, input_channels=1, conv_channels=32, conv_kernel_sizes="5,5",
                     encoder_embed_dim=32, encoder_layers=2, encoder_attention_heads=4, encoder_ffn_embed_dim=64,
                     dropout=0.0, segment_length=4, left_context_length=6, right_context_length=0, max_memory_size=3)
    for k, v in over.items():
        setattr(args, k, v)
    return args


def _stream(enc, x, chunk, seg):
    state, outs = enc.init_state(), []
    for s in range(0, x.size(1), chunk):
        o, state = enc.forward_streaming(x[:, s:s + chunk], state, segment_length=seg)
        outs.append(o)
    o, state = enc.forward_streaming(x[:, :0], state, finish=True, segment_length=seg)
    outs.append(o)
    return torch.cat(outs, 0), state


@pytest.mark.parametrize("right_context", [0, 2])
@pytest.mark.parametrize("seg", [1, 3, 4, 7, 0])
def test_streaming_encoder_equals_full_sequence(seg, right_context):
    """157 fbank frames -> 40 encoder frames: partial last segment for seg 3 and 7; chunks not dividing T."""
    torch.manual_seed(0)
    enc = EchoStreamEncoder(_encoder_args(right_context_length=right_context)).eval()
    x = torch.randn(1, 157, 80)
    full = enc(x, torch.tensor([157]), segment_length=seg)["encoder_out"][0]
    assert full.shape == (40, 1, 32)
    for chunk in (1, 13, 32, 200):
        out, state = _stream(enc, x, chunk, seg)
        assert out.shape == full.shape
        assert (out - full).abs().max().item() <= 1e-4, (seg, chunk)
        assert state.n_emitted == 40


def test_streaming_emits_before_end_and_state_is_bounded():
    torch.manual_seed(0)
    enc = EchoStreamEncoder(_encoder_args()).eval()
    state, sizes, emitted = enc.init_state(), [], 0
    for _ in range(60):  # 60 x 32 frames of 10 ms = 19.2 s
        out, state = enc.forward_streaming(torch.randn(1, 32, 80), state)
        emitted += out.size(0)
        sizes.append(state.nbytes())
    assert emitted >= 60 * 8 - 8  # output keeps pace with input (4 s segments of 4 frames)
    assert max(sizes[10:]) == max(sizes[-10:])  # carried state does not grow with the stream


def test_batched_subsampler_matches_single():
    torch.manual_seed(0)
    sub = StreamingConv1dSubsampler(80, 32, 16, (5, 5)).eval()
    a, b = torch.randn(1, 50, 80), torch.randn(1, 37, 80)
    batch = torch.zeros(2, 50, 80)
    batch[0], batch[1, :37] = a[0], b[0]
    yb, lb = sub(batch, torch.tensor([50, 37]))
    ya, _ = sub(a, torch.tensor([50]))
    y1, l1 = sub(b, torch.tensor([37]))
    assert lb.tolist() == [13, 10] and l1.item() == 10
    assert torch.allclose(yb[:, 0], ya[:, 0], atol=1e-6)
    assert torch.allclose(yb[:10, 1], y1[:, 0], atol=1e-6)


@pytest.mark.parametrize("window", [0, 5])
def test_causal_stack_streaming_equals_full(window):
    torch.manual_seed(0)
    stack = CausalTransformerStack(32, 2, 4, 64, dropout=0.0, window=window).eval()
    x = torch.randn(23, 2, 32)
    full = stack(x)
    cache, outs = {}, []
    for s in range(0, 23, 4):
        outs.append(stack.forward_streaming(x[s:s + 4], cache))
    assert (torch.cat(outs) - full).abs().max() <= 1e-5
    if window:
        assert stack.cache_nbytes(cache) == 2 * 2 * 2 * (window - 1) * 32 * 4  # layers*(k,v)*B*frames*C*fp32


def test_parse_segment_lengths():
    assert parse_segment_lengths("2,4,0") == [2, 4, 0]
    for bad in ("", "a", "-1"):
        with pytest.raises(ValueError):
            parse_segment_lengths(bad)


# --------------------------------------------------------------------------- with data
def _train_args(data, extra=()):
    from fairseq import options

    parser = options.get_training_parser()
    argv = [data, "--user-dir", os.path.join(ROOT, "researches", "ctc_unity"), "--task", "speech_to_speech_ctc",
            "--config-yaml", "config_gcmvn.yaml", "--multitask-config-yaml", "config_mtl_asr_st_ctcst.yaml",
            "--target-is-code", "--target-code-size", str(TINY_UNITS), "--arch", "echostream_tiny",
            "--criterion", "speech_to_unit_2pass_ctc_asr_st", "--max-tokens", "100000", "--cpu", *extra]
    return options.parse_args_and_arch(parser, input_args=argv)


def _setup(data, extra=()):
    from fairseq import tasks

    args = _train_args(data, extra)
    task = tasks.setup_task(args)
    task.load_dataset("train")
    model = task.build_model(args)
    criterion = task.build_criterion(args)
    ds = task.dataset("train")
    batch = ds.collater([ds[i] for i in range(len(ds))])
    return args, task, model, criterion, batch


def test_overfit_every_loss_term_falls(tiny_data):
    torch.manual_seed(1)
    random.seed(1)
    _, task, model, criterion, batch = _setup(tiny_data, ["--segment-length", "4", "--label-smoothing", "0"])
    batch = {k: v for k, v in batch.items()}
    batch_small = task.dataset("train").collater([task.dataset("train")[i] for i in range(4)])
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    history = []
    for step in range(250):
        loss, _, log = criterion(model, batch_small)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append({k: log[f"{k}_loss_sum"] / max(log[f"{k}_ntokens"], 1) for k in ("asr_ctc", "st_ctc", "mt", "unit_ctc")})
    first, last = history[0], history[-1]
    for term in first:
        assert last[term] <= 0.1 * first[term], (term, first[term], last[term])


def test_multichunk_samples_several_lengths_and_decodes_unseen(tiny_data):
    random.seed(0)
    _, task, model, criterion, batch = _setup(tiny_data, ["--multichunk", "--segment-length-choices", "2,4,0"])
    model.train()
    seen = set()
    for update in range(20):  # one length per update (fairseq calls set_num_updates before each step)
        model.set_num_updates(update)
        _, _, log = criterion(model, batch)
        _, _, again = criterion(model, batch)  # another batch of the same update (--update-freq, or another rank)
        assert again["segment_length"] == log["segment_length"]
        seen.add(log["segment_length"])
    assert seen == {2.0, 4.0, 0.0}
    model.eval()
    with torch.no_grad():
        out = model(batch["net_input"]["src_tokens"], batch["net_input"]["src_lengths"],
                    batch["multitask"][model.mt_task_name]["net_input"]["prev_output_tokens"], segment_length=3)
    assert out["segment_length"] == 3
    assert torch.isfinite(out["mt_logits"]).all() and torch.isfinite(out["unit_logits"]).all()
    n_enc = out["encoder_lengths"].max().item()
    assert out["asr_logits"].shape[:2] == (n_enc, batch["nsentences"])


def test_fairseq_train_cli_and_checkpoint_round_trip(tiny_data, tmp_path):
    """fairseq-train builds arch/task/criterion from the CLI; the checkpoint reloads to identical outputs."""
    save = tmp_path / "ckpt"
    log = fairseq_train(tiny_data, save, "echostream_tiny", "--lr", "1e-3", "--valid-subset", "dev",
                        "--tensorboard-logdir", str(tmp_path / "tb"), max_update=3)
    for term in ("asr_ctc_loss", "st_ctc_loss", "mt_loss", "unit_ctc_loss", "segment_length"):
        assert term in log
    assert (save / "checkpoint_last.pt").exists()
    assert list((tmp_path / "tb").rglob("events.out.tfevents*"))

    from fairseq import checkpoint_utils

    models, cfg, task = checkpoint_utils.load_model_ensemble_and_task([str(save / "checkpoint_last.pt")])
    model = models[0].eval()
    state = torch.load(save / "checkpoint_last.pt", map_location="cpu")
    task.load_dataset("dev")
    ds = task.dataset("dev")
    batch = ds.collater([ds[i] for i in range(len(ds))])
    args = (batch["net_input"]["src_tokens"], batch["net_input"]["src_lengths"],
            batch["multitask"][model.mt_task_name]["net_input"]["prev_output_tokens"])
    with torch.no_grad():
        out1 = model(*args, segment_length=2)
        fresh = task.build_model(cfg.model)
        fresh.load_state_dict(state["model"])
        out2 = fresh.eval()(*args, segment_length=2)
        random_init = task.build_model(cfg.model).eval()(*args, segment_length=2)
    for key in ("asr_logits", "st_logits", "mt_logits", "unit_logits"):
        assert torch.equal(out1[key], out2[key])
        assert not torch.allclose(out1[key], random_init[key])
    assert not math.isnan(out1["mt_logits"].sum().item())

    # a checkpoint of another data preparation (here: one source piece more) is refused by name
    other = dict(state["model"])
    w = other["asr_ctc_decoder.proj.weight"]
    other["asr_ctc_decoder.proj.weight"] = torch.cat([w, w[:1]])
    with pytest.raises(ValueError, match=r"does not fit this data folder.*asr_ctc_decoder\.proj\.weight is \(%d, %d\) "
                       r"in the checkpoint, \(%d, %d\) in this model" % (w.shape[0] + 1, w.shape[1], *w.shape)):
        task.build_model(cfg.model).load_state_dict(other)


def test_offline_evaluation_reports_every_head(tiny_checkpoint, tiny_data):
    from ctc_unity.evaluation import evaluate, load_model

    model, task, _ = load_model(tiny_checkpoint["checkpoint"], tiny_data, segment_length=0)
    report = evaluate(model, task, "dev", beam=2, max_utterances=2)
    assert report["n"] == 2 and report["split"] == "dev" and report["segment_length"] == 0
    examples = report["examples"]
    assert len(examples) == 2 and all(e["ref"] for e in examples)
    refs = [[e["ref"] for e in examples]]
    # the BLEU scores are those of the reported hypotheses (all utterances are examples here)
    assert report["st_ctc_bleu"] == round(sacrebleu.corpus_bleu([e["st_ctc"] for e in examples], refs).score, 2)
    assert report["mt_bleu_greedy"] == round(sacrebleu.corpus_bleu([e["mt"] for e in examples], refs).score, 2)
    for key in ("asr_wer", "mt_bleu_beam2", "unit_error_rate", "unit_error_rate_tf"):
        assert math.isfinite(report[key]), key
    # CER: character edits of the reported ASR hypotheses over the reference characters
    import editdistance

    edits = sum(editdistance.eval(e["asr"], e["asr_ref"]) for e in examples)
    assert all(e["asr_ref"] for e in examples)
    assert report["asr_cer"] == round(100.0 * edits / sum(len(e["asr_ref"]) for e in examples), 2)


def test_offline_segment_selection_picks_the_best_dev_choice(tiny_checkpoint, tiny_data):
    """--segment-length best: every training choice scored on dev with the greedy MT decoder, the
    best kept on the model; each score equals a separate mt_only evaluation at that segment."""
    from ctc_unity.evaluation import evaluate, load_model, select_offline_segment

    model, task, _ = load_model(tiny_checkpoint["checkpoint"], tiny_data)
    sel = select_offline_segment(model, task, "dev", max_utterances=3)
    choices = list(model.encoder.segment_length_choices)
    assert sorted(map(int, sel["selection"])) == sorted(choices) and sel["n"] == min(3, len(task.dataset("dev")))
    assert sel["selection"][str(sel["segment_length"])] == max(sel["selection"].values())
    assert model.encoder.segment_length == sel["segment_length"]
    for seg in choices[:2]:
        model.encoder.segment_length = seg
        assert evaluate(model, task, "dev", max_utterances=3, mt_only=True)["mt_bleu_greedy"] == \
            sel["selection"][str(seg)]


# --------------------------------------------------------------------------- source-prefix MT training
def test_ctc_frame_limits_follow_the_st_ctc_path():
    from ctc_unity.modules.prefix_cross_attention import ctc_frame_limits

    # blank = 0; greedy path of example 0: 0 5 5 0 7 0 0 9 0 0 -> tokens start at frames 1, 4, 7
    path = torch.tensor([[0, 5, 5, 0, 7, 0, 0, 9, 0, 0], [3, 0, 0, 0, 0, 0, 0, 0, 0, 0]]).t()  # (T, B)
    logits = torch.nn.functional.one_hot(path, 10).float()
    lengths = torch.tensor([10, 6])
    lim = ctc_frame_limits(logits, lengths, n_positions=4, blank=0, lag=0)
    assert lim.tolist() == [[2, 5, 8, 10], [1, 6, 6, 6]]  # beyond the ST-CTC prefix: the whole source
    lim = ctc_frame_limits(logits, lengths, n_positions=4, blank=0, lag=1, segment_length=4)
    assert lim.tolist() == [[8, 8, 10, 10], [6, 6, 6, 6]]  # rounded up to segments, capped at the length
    with pytest.raises(ValueError):
        ctc_frame_limits(logits, lengths, 4, blank=0, lag=-1)


def test_limit_cross_attention_is_causal_in_the_source_and_exact_without_limits(tiny_data):
    from ctc_unity.modules.prefix_cross_attention import limit_cross_attention

    torch.manual_seed(0)
    _, task, model, _, batch = _setup(tiny_data)
    model.eval()
    net = batch["net_input"]
    prev = batch["multitask"][model.mt_task_name]["net_input"]["prev_output_tokens"]
    with torch.no_grad():
        enc = model.encoder(net["src_tokens"], net["src_lengths"], segment_length=0)
        full, _ = model.decoder(prev, encoder_out=enc)
        n_src = enc["encoder_out"][0].size(0)
        everything = torch.full(prev.shape, n_src, dtype=torch.long)
        with limit_cross_attention(model.decoder, everything):
            same, _ = model.decoder(prev, encoder_out=enc)
        assert torch.allclose(same, full, atol=1e-4)
        limits = torch.randint(1, n_src + 1, prev.shape)
        with limit_cross_attention(model.decoder, limits):
            a, _ = model.decoder(prev, encoder_out=enc)
        changed = dict(enc)
        noise = torch.randn_like(enc["encoder_out"][0]) * 5
        keep = torch.arange(n_src)[:, None, None] < 1  # frame 0 kept for every example
        changed["encoder_out"] = [torch.where(keep, enc["encoder_out"][0], enc["encoder_out"][0] + noise)]
        with limit_cross_attention(model.decoder, torch.ones_like(limits)):
            b1, _ = model.decoder(prev, encoder_out=enc)
            b2, _ = model.decoder(prev, encoder_out=changed)
        assert torch.allclose(b1, b2, atol=1e-5)  # frames beyond the limit are never seen
        c, _ = model.decoder(prev, encoder_out=enc)  # the patch is gone after the block
        assert torch.allclose(c, full, atol=1e-6)
        assert not torch.allclose(a, full, atol=1e-3)


def test_mt_prefix_training_changes_only_the_mt_side(tiny_data):
    _, _, model, criterion, batch = _setup(tiny_data, ["--mt-prefix-prob", "1.0", "--segment-length", "4"])
    model.train()
    logs = {}
    for prob in (0.0, 1.0):
        model.args.mt_prefix_prob = prob
        torch.manual_seed(0)
        random.seed(0)
        loss, _, logs[prob] = criterion(model, batch)
        assert torch.isfinite(loss)
    assert logs[0.0]["asr_ctc_loss_sum"] == logs[1.0]["asr_ctc_loss_sum"]
    assert logs[0.0]["mt_loss_sum"] != logs[1.0]["mt_loss_sum"]
    loss.backward()
    assert model.decoder.layers[0].encoder_attn.q_proj.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("window,lookahead", [(0, True), (4, True), (4, False)])
def test_unit_text_encoder_streaming_equals_full(window, lookahead):
    """Streamed text-encoder states equal the full pass: with word look-ahead the last token of
    a call is held back until its successor is known or the text is declared word-final."""
    from ctc_unity.modules.unit_text_encoder import UnitTextEncoder
    from fairseq.data import Dictionary

    d = Dictionary()
    for i in range(10):
        d.add_symbol(f"w{i}")
        d.add_symbol(f"\u2581w{i}")
    torch.manual_seed(0)
    enc = UnitTextEncoder(d, 32, 2, 2, 64, dropout=0.0, window=window, lookahead=lookahead).eval()
    tokens = torch.randint(d.nspecial, len(d), (17, 2))
    with torch.no_grad():
        full = enc(tokens)
        state, parts, s, released = {}, [], 0, 0
        for n in (1, 5, 0, 3, 8):
            final = s + n == 17
            out = enc.forward_streaming(tokens[s:s + n], state, word_final=final)
            s += n
            now = s - 1 if lookahead and not final and s > 0 else s  # tokens whose successor is known
            assert out.size(0) == now - released
            released = now
            parts.append(out)
    assert full.shape == (17, 2, 32)
    assert torch.allclose(torch.cat(parts), full, atol=1e-5)
    if window:  # the cache holds window - 1 tokens, not the stream
        cached = state["incremental_state"]
        assert all(v.size(2) <= window - 1 for k, buf in cached.items() for name, v in buf.items()
                   if name in ("prev_key", "prev_value"))
    if lookahead:  # the next subword matters only inside a word
        x = torch.tensor([[d.index("\u2581w1")], [d.index("w2")]])
        y = torch.tensor([[d.index("\u2581w1")], [d.index("w3")]])
        z = torch.tensor([[d.index("\u2581w1")], [d.index("\u2581w2")]])
        w = torch.tensor([[d.index("\u2581w1")], [d.index("\u2581w3")]])
        with torch.no_grad():
            assert not torch.allclose(enc(x)[0], enc(y)[0])
            assert torch.allclose(enc(z)[0], enc(w)[0])


def test_tokens_mode_trains_the_unit_path_alone_and_fast(tiny_data):
    """--unit-states tokens --train-unit-decoder-only: the training forward runs only the unit path,
    gives the same unit logits as the full forward, logs only the unit term, updates only the unit
    path, and its loss falls; a read-mode checkpoint loads with a fresh text encoder."""
    torch.manual_seed(0)
    _, task, model, criterion, batch = _setup(tiny_data, ["--unit-states", "tokens", "--train-unit-decoder-only",
                                                          "--label-smoothing", "0"])
    prev = batch["multitask"][model.mt_task_name]["net_input"]["prev_output_tokens"]
    args = (batch["net_input"]["src_tokens"], batch["net_input"]["src_lengths"], prev)
    model.train()  # echostream_tiny has no dropout: train and eval passes compute the same function
    fast = model(*args)
    assert fast["encoder_out"] is None and fast["mt_logits"] is None
    model.eval()
    with torch.no_grad():
        full = model(*args)
    assert full["mt_logits"].size(-1) == len(model.decoder.dictionary)
    assert torch.allclose(fast["unit_logits"], full["unit_logits"], atol=1e-5)
    assert torch.equal(fast["unit_padding_mask"], full["unit_padding_mask"])
    n_tokens = prev.ne(model.decoder.padding_idx).sum(1) - 1
    assert torch.equal((~full["unit_padding_mask"]).sum(1), n_tokens * model.args.ctc_upsample_rate)

    model.train()
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=3e-3)
    losses = []
    for _ in range(40):
        loss, _, log = criterion(model, batch)
        assert {k[:-len("_loss_sum")] for k in log if k.endswith("_loss_sum")} == {"unit_ctc"}
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]
    for frozen in (model.encoder, model.decoder, model.asr_ctc_decoder, model.st_ctc_decoder):
        assert all(p.grad is None for p in frozen.parameters())
    assert model.unit_text_encoder.embed_tokens.weight.grad.abs().sum() > 0

    # a checkpoint without the text encoder (read mode) loads; the encoder keeps its fresh init
    _, _, read_model, _, _ = _setup(tiny_data)
    text_init = {k: v.clone() for k, v in model.unit_text_encoder.state_dict().items()}
    model.load_state_dict(read_model.state_dict())
    assert torch.equal(model.decoder.embed_tokens.weight, read_model.decoder.embed_tokens.weight)
    assert all(torch.equal(v, text_init[k]) for k, v in model.unit_text_encoder.state_dict().items())
