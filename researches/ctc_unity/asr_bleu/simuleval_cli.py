"""The ``simuleval`` command with the ``ASR_BLEU_OFFLINE`` scorers registered.

Usage: ``python -m ctc_unity.asr_bleu.simuleval_cli <simuleval arguments>``, e.g.
``... --user-dir researches/ctc_unity --agent agent/X.py --quality-metrics ASR_BLEU_OFFLINE
--asr-backend pocketsphinx``. Needed because SimulEval resolves metric names before it imports
the agent (see :mod:`~.simuleval_scorer`).
"""
from . import simuleval_scorer  # noqa: F401  (registers the scorers)


def main() -> None:
    """Run ``simuleval.cli.main()`` (arguments from ``sys.argv``)."""
    from simuleval.cli import main as simuleval_main

    simuleval_main()


if __name__ == "__main__":
    main()
