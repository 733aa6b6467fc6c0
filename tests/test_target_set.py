"""Target-only training rows for stage 2 (``ctc_unity.datasets.target_set``) and the schedule rule of
``scripts/yaml_to_args.py``."""
import os
import shutil

import pytest
import torch

from conftest import load_script


def test_polynomial_decay_ends_at_the_budget():
    """``polynomial_decay`` without ``total-num-update`` decays over ``max-update``, overrides included;
    an explicit end and other schedules are left alone."""
    y2a = load_script("scripts/yaml_to_args.py")

    def args(*over):
        cfg = {"lr-scheduler": "inverse_sqrt", "max-update": 1650}
        for item in over:
            k, _, v = item.partition("=")
            cfg[k] = y2a.yaml.safe_load(v)
        y2a.apply_schedule_end(cfg)
        return y2a.to_args(cfg)

    assert "--total-num-update" not in args()
    a = args("lr-scheduler=polynomial_decay", "max-update=77")
    assert a[a.index("--total-num-update") + 1] == "77"
    a = args("lr-scheduler=polynomial_decay", "total-num-update=500")
    assert a[a.index("--total-num-update") + 1] == "500"


@pytest.fixture()
def data_copy(tiny_data, tmp_path):
    """A private copy of the tiny prepared data (the session fixture must stay unchanged)."""
    dst = tmp_path / "s2st"
    shutil.copytree(tiny_data, dst)
    return str(dst)


def test_target_set_rows_units_and_refusals(data_copy):
    from ctc_unity.datasets.audio_io import load_audio
    from ctc_unity.datasets.target_set import (TARGET_ONLY_SOURCE, corpus_targets, grammar_target_texts,
                                               prepare_target_set)
    from ctc_unity.datasets.tsv import read_tsv
    from ctc_unity.datasets.units import load_extractor, reduce_units

    spm, known = corpus_targets(data_copy)
    corpus_text = spm.decode(sorted(known)[0].split())
    new = [t for t in grammar_target_texts(60, "fr-en", seed=5, max_words=6) if not spm.unknown_chars(t)][:3]
    assert len(new) == 3
    texts = [new[0], corpus_text, new[1], "zzz ÿ", new[0], "", new[2]]
    stats = prepare_target_set(data_copy, texts, split="train_t2u", workers=1, progress=False)
    assert stats["texts_given"] == len(texts) and stats["sentences"] == 3 and stats["synthesized_files"] == 3
    assert stats["dropped"] == {"in_corpus": 1, "unknown_characters": 1, "duplicate": 1, "empty": 1}

    rows = read_tsv(os.path.join(data_copy, "train_t2u.tsv"))
    assert [r["src_audio"] for r in rows] == [TARGET_ONLY_SOURCE] * 3
    extractor = load_extractor(os.path.join(data_copy, "units"))
    for r, text in zip(rows, new):
        wav, _ = load_audio(os.path.join(data_copy, "target_set", "train_t2u", "wav", f"{r['id']}.wav"))
        assert int(r["src_n_frames"]) == pytest.approx(wav.numel() / 160, abs=1)
        reduced, _ = reduce_units(extractor.extract(wav).tolist())
        assert r["tgt_audio"].split() == [str(u) for u in reduced]
        assert int(r["tgt_n_frames"]) == len(reduced)
    tgt = {r["id"]: r["tgt_text"] for r in read_tsv(os.path.join(data_copy, "tgt_unigram60", "train_t2u.tsv"))}
    assert [spm.decode(tgt[r["id"]].split()) for r in rows] == new
    src = read_tsv(os.path.join(data_copy, "src_unigram60", "train_t2u.tsv"))
    assert [r["tgt_text"] for r in src] == ["<unk>"] * 3

    again = prepare_target_set(data_copy, texts, split="train_t2u", workers=1, progress=False)
    assert again["synthesized_files"] == 0  # resumed
    with pytest.raises(ValueError, match="other texts"):
        prepare_target_set(data_copy, new[:2], split="train_t2u", workers=1, progress=False)
    with pytest.raises(ValueError, match="reserved"):
        prepare_target_set(data_copy, new, split="train", workers=1, progress=False)
    with pytest.raises(ValueError, match="no target sentence left"):
        prepare_target_set(data_copy, [corpus_text], split="train_x", workers=1, progress=False)


def test_only_unit_path_training_reads_target_only_rows(data_copy):
    """The task concatenates train and the target set for stage 2, whose unit loss on target-only rows
    is the text-to-unit loss of their text; any model that reads the source is refused."""
    from fairseq import tasks
    from ctc_unity.datasets.target_set import grammar_target_texts, prepare_target_set, corpus_targets
    from test_model import _train_args

    spm, _ = corpus_targets(data_copy)
    texts = [t for t in grammar_target_texts(60, "fr-en", seed=5, max_words=6) if not spm.unknown_chars(t)][:3]
    prepare_target_set(data_copy, texts, split="train_t2u", workers=1, progress=False)

    stage1 = _train_args(data_copy)
    task = tasks.setup_task(stage1)
    with pytest.raises(ValueError, match="'train_t2u' has target-only rows"):
        task.load_dataset("train,train_t2u")
    task.load_dataset("train")  # the parallel split alone is fine

    torch.manual_seed(0)
    args = _train_args(data_copy, ["--unit-states", "tokens", "--train-unit-decoder-only", "--label-smoothing", "0"])
    task = tasks.setup_task(args)
    task.load_dataset("train,train_t2u")
    ds = task.dataset("train,train_t2u")
    assert len(ds) == 8 + 3
    model, criterion = task.build_model(args), task.build_criterion(args)
    model.train()
    batch = ds.collater([ds[i] for i in range(8, 11)])  # the target-only rows
    mt = batch["multitask"][model.mt_task_name]
    loss, _, log = criterion(model, batch)
    from ctc_unity.datasets.tsv import read_tsv
    n_units = sum(int(r["tgt_n_frames"]) for r in read_tsv(os.path.join(data_copy, "train_t2u.tsv")))
    assert torch.isfinite(loss) and log["unit_ctc_ntokens"] == n_units
    # the source (one placeholder frame) plays no part: noise in its place gives the same loss
    noisy = dict(batch, net_input=dict(batch["net_input"], src_tokens=torch.randn_like(batch["net_input"]["src_tokens"])))
    assert criterion(model, noisy)[0].item() == pytest.approx(loss.item(), rel=1e-6)
    loss.backward()
    assert model.unit_text_encoder.embed_tokens.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.encoder.parameters())
