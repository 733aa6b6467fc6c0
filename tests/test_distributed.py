"""fairseq's own distributed training on CPU: ``NPROC_PER_NODE=2 bash train.sh`` (torchrun, gloo, legacy_ddp).

Two ranks with one batch each are one update of a single process with ``--update-freq 2`` over the
same two batches (fairseq gives rank ``r`` the ``r``-th batch of each group of ``world`` batches,
and the criterion normalises each batch by its own token counts, so a single batch made of both
would weigh the terms differently). Multi-chunk training draws one segment length per update from
``(--seed, update number)``, the same on every rank and every batch of the update.
"""
import os
import re
import socket
import subprocess

import torch
import yaml

from conftest import ROOT, fairseq_train

#: flags shared by the distributed (train.sh) and the single-process (fairseq_train) run
COMMON = {"segment-length-choices": "2,4,0", "optimizer": "sgd", "lr": 0.05, "batch-size": 2, "dropout": 0.0,
          "max-update": 3, "disable-validation": True, "log-format": "json", "seed": 1}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(path):
    cfg = {"task": "speech_to_speech_ctc", "config-yaml": "config_gcmvn.yaml",
           "multitask-config-yaml": "config_mtl_asr_st_ctcst.yaml", "target-is-code": True,
           "criterion": "speech_to_unit_2pass_ctc_asr_st", "arch": "echostream_tiny", "multichunk": True,
           "max-tokens": 100000, "required-batch-size-multiple": 1, "num-workers": 0, "no-progress-bar": True,
           "log-interval": 1, "no-epoch-checkpoints": True, **COMMON}
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def _losses(log):
    """(update, loss, segment_length) of every train_inner record of a fairseq JSON log."""
    out = []
    for m in re.finditer(r'"num_updates": "(\d+)"', log):
        line = log[log.rfind("\n", 0, m.start()) + 1:log.find("\n", m.end())]
        if "train_inner" in line:
            loss = re.search(r'"loss": "([0-9.]+)"', line).group(1)
            seg = re.search(r'"segment_length": "([0-9.]+)"', line).group(1)
            out.append((int(m.group(1)), float(loss), float(seg)))
    return out


def _sh(script, env, timeout=600):
    res = subprocess.run(["bash", os.path.join(ROOT, script)], env=dict(os.environ, **env), cwd=ROOT,
                         capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    return res.stdout + res.stderr


def _params(path):
    return torch.load(path, map_location="cpu", weights_only=False)["model"]


def test_two_cpu_ranks_equal_one_process_with_update_freq_2_and_stage_2_runs(tiny_data, tmp_path):
    config = _config(tmp_path / "tiny_ddp.yaml")
    env = dict(DATA=tiny_data, CONFIG=config, EVAL="0", NPROC_PER_NODE="2", MASTER_PORT=str(_free_port()))
    ddp_log = _sh("train.sh", dict(env, RUN=str(tmp_path / "ddp")))
    assert "distributed: 1 node(s) x 2 process(es)" in ddp_log
    assert "distributed init (rank 1)" in ddp_log and "distributed init (rank 0)" in ddp_log
    ddp_ckpt = tmp_path / "ddp" / "checkpoints" / "checkpoint_last.pt"

    extra = []
    for k, v in COMMON.items():
        if k != "max-update":
            extra += [f"--{k}"] + ([] if v is True else [str(v)])
    one_log = fairseq_train(tiny_data, tmp_path / "one", "echostream_tiny", *extra, "--update-freq", "2",
                            max_update=COMMON["max-update"])
    one_ckpt = tmp_path / "one" / "checkpoint_last.pt"

    # the same losses (logged to 3 decimals) and segment lengths at every update ...
    ddp, one = _losses(ddp_log), _losses(one_log)
    assert [u for u, _, _ in ddp] == [1, 2, 3] and ddp == one
    # ... and the same parameters after 3 SGD updates: the gradients agree to float rounding
    a, b = _params(ddp_ckpt), _params(one_ckpt)
    assert a.keys() == b.keys()
    diff = max((a[k].float() - b[k].float()).abs().max().item() for k in a)
    assert diff < 1e-5 * COMMON["lr"] * 20, diff

    # the 2-process checkpoint loads and decodes like the single-process one
    from ctc_unity.evaluation import evaluate, load_model

    reports = []
    for ckpt in (ddp_ckpt, one_ckpt):
        model, task, _ = load_model(str(ckpt), tiny_data)
        reports.append(evaluate(model, task, split="dev", beam=2))
    assert reports[0] == reports[1]

    # stage 2 (frozen encoder and text decoders, --train-unit-decoder-only) under DDP
    t2u_log = _sh("train_t2u.sh", dict(env, RUN=str(tmp_path / "t2u"), BASE=str(ddp_ckpt), UPDATES="2",
                                       MASTER_PORT=str(_free_port())))
    assert "distributed: 1 node(s) x 2 process(es)" in t2u_log
    t2u = _params(tmp_path / "t2u" / "checkpoints" / "checkpoint_last.pt")
    frozen = [k for k in a if k.startswith(("encoder.", "decoder.", "asr_ctc_decoder.", "st_ctc_decoder."))]
    assert frozen and all(torch.equal(t2u[k], a[k]) for k in frozen)
    trained = [k for k in t2u if k not in frozen]
    assert any(k not in a or not torch.equal(t2u[k], a[k]) for k in trained)
    # stage 2 keeps the checkpoint with the lowest dev unit CTC loss, not the weighted total
    last = torch.load(tmp_path / "t2u" / "checkpoints" / "checkpoint_last.pt", map_location="cpu", weights_only=False)
    assert last["cfg"]["checkpoint"]["best_checkpoint_metric"] == "unit_ctc_loss"
    assert "unit_ctc_loss" in t2u_log
