"""Shared fixtures: a tiny synthetic corpus prepared once per test session."""
import os
import shutil
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from ctc_unity.plugin import load as load_plugin  # noqa: E402

load_plugin()  # registers echostream / speech_to_speech_ctc / criterion as ``ctc_unity``

TINY_UNITS = 24

#: Fixtures that synthesise speech with espeak-ng and/or run fairseq-train in a subprocess: a
#: test using one (directly or through another fixture) is an integration test.
INTEGRATION_FIXTURES = {"tiny_data", "tiny_checkpoint"}
#: (file, test) pairs of slow end-to-end tests in files whose owners have not marked them yet: the
#: command-line benchmark test runs three Python subprocesses that each import the whole plugin.
INTEGRATION_TESTS = {("test_benchmarks.py", "test_compare_end_to_end_tables_checks_and_plot")}


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "integration: needs espeak-ng, ffmpeg-made corpora or a fairseq-train / simuleval subprocess "
        "(slow); the unit layer is `pytest -m 'not integration'`",
    )


def pytest_collection_modifyitems(config, items):
    """Mark every test that uses an :data:`INTEGRATION_FIXTURES` fixture (or is listed in
    :data:`INTEGRATION_TESTS`) as ``integration``; tests that call espeak-ng or a CLI subprocess
    themselves carry ``@pytest.mark.integration``."""
    for item in items:
        if (INTEGRATION_FIXTURES.intersection(getattr(item, "fixturenames", ()))
                or (item.path.name, getattr(item, "originalname", item.name)) in INTEGRATION_TESTS):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    """A prepared S2ST data folder: 8 train / 2 dev / 2 test espeak-ng utterances from the grammar."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed (bash scripts/setup_env.sh installs it)")
    from ctc_unity.datasets import corpus
    from ctc_unity.datasets.prepare import PrepConfig, prepare

    base = tmp_path_factory.mktemp("tiny")
    splits = corpus.grammar_splits(8, 200, 2, seed=3, max_words=6)
    train_chars = {side: set("".join(getattr(p, side) for p in splits["train"])) for side in ("fr", "en")}
    covered = [p for p in splits["dev"] + splits["test"]
               if all(set(getattr(p, side)) <= train_chars[side] for side in ("fr", "en"))]
    assert len(covered) >= 4, "grammar produced too few covered dev/test sentences"
    splits = {"train": splits["train"], "dev": covered[:2], "test": covered[2:4]}
    corpus.build_corpus(str(base / "raw"), splits, workers=2, seed=0)
    prepare(PrepConfig(raw_dir=str(base / "raw"), out_dir=str(base / "s2st"), src_vocab_size=60,
                       tgt_vocab_size=60, n_units=TINY_UNITS, workers=2, specaugment=False))
    return str(base / "s2st")


def fairseq_train(data, save_dir, arch="echostream_tiny", *extra, max_update=2, timeout=900):
    """Run ``fairseq-train`` on prepared ``data`` with the plugin's task/criterion; returns the log.

    ``extra`` flags are appended; fails the test (with the log tail) if training fails.
    """
    import subprocess

    cmd = [os.path.join(os.path.dirname(sys.executable), "fairseq-train"), str(data),
           "--user-dir", os.path.join(ROOT, "researches", "ctc_unity"), "--task", "speech_to_speech_ctc",
           "--config-yaml", "config_gcmvn.yaml", "--multitask-config-yaml", "config_mtl_asr_st_ctcst.yaml",
           "--target-is-code", "--target-code-size", str(TINY_UNITS), "--arch", arch,
           "--criterion", "speech_to_unit_2pass_ctc_asr_st", "--multichunk", "--segment-length-choices", "2,0",
           "--optimizer", "adam", "--max-tokens", "100000", "--max-update", str(max_update),
           "--required-batch-size-multiple", "1", "--save-dir", str(save_dir), "--cpu", "--num-workers", "0",
           "--no-progress-bar", "--log-interval", "1", "--no-epoch-checkpoints", *extra]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return res.stdout + res.stderr


@pytest.fixture(scope="session")
def tiny_checkpoint(tiny_data, tmp_path_factory):
    """A fairseq checkpoint of ``echostream_tiny`` trained for 20 updates on ``tiny_data``."""
    save = tmp_path_factory.mktemp("ckpt")
    log = fairseq_train(tiny_data, save, "echostream_tiny", "--lr", "3e-3", "--disable-validation",
                        "--tensorboard-logdir", str(save / "tb"), max_update=20)
    return {"checkpoint": str(save / "checkpoint_last.pt"), "log": log, "tb": str(save / "tb")}


def load_script(relpath: str):
    """Import a command-line script of the repository (``scripts/x.py``, ``benchmarks/y.py``) as a module."""
    import importlib.util

    path = os.path.join(ROOT, relpath)
    spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
