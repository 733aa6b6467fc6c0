"""ASR-BLEU evaluation of speech output (EchoStream / StreamSpeech style).

Modules (one job each):

* :mod:`.normalize` -- text normalization shared by hypotheses and references;
* :mod:`.transcriber` -- the :class:`Transcriber` interface and :func:`build_transcriber`
  (specs ``pocketsphinx``, ``ctc:PATH``, ``wav2vec2:PATH``);
* :mod:`.pocketsphinx`, :mod:`.ctc_asr`, :mod:`.wav2vec2` -- the back ends;
* :mod:`.train_ctc_asr` -- training of the toolkit's own CTC ASR (``train_asr.sh``);
* :mod:`.scorer` -- :func:`asr_bleu`, :func:`score_reference_speech` (the ceiling), :func:`evaluate`;
* :mod:`.simuleval_scorer` -- SimulEval metrics ``ASR_BLEU_OFFLINE`` / ``ASR_BLEU_OFFLINE_CEILING``;
* :mod:`.simuleval_cli` -- ``simuleval`` with those metrics registered.

Command line: ``scripts/asr_bleu.py`` (ASR-BLEU of a wav list + the reference ceiling).

When SimulEval imports this folder as a user dir (``simuleval --user-dir
researches/ctc_unity/asr_bleu``), the package is loaded under the top-level name
``asr_bleu``; it then imports the installed
``ctc_unity.asr_bleu.simuleval_scorer``, which registers the metrics (the code
itself always runs under its canonical name, so relative imports of ``..datasets`` work).
"""



if __name__ == "asr_bleu":  # imported by SimulEval as --user-dir
    import importlib as _importlib

    _importlib.import_module("ctc_unity.asr_bleu.simuleval_scorer")
else:
    from .normalize import normalize_text  # noqa: F401
    from .scorer import asr_bleu, evaluate, score_reference_speech  # noqa: F401
    from .transcriber import Transcriber, build_transcriber  # noqa: F401
