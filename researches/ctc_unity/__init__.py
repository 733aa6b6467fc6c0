"""EchoStream fairseq plugin (``--user-dir researches/ctc_unity``).

fairseq imports a ``--user-dir`` as a top-level module named after the folder, so the
canonical name of this package is ``ctc_unity``; ``pip install -e .`` (done by the set-up) installs
it under that name, so it imports everywhere.
Importing it under that name registers the ``echostream`` model/architectures, the
``speech_to_speech_ctc`` task and the ``speech_to_unit_2pass_ctc_asr_st`` criterion.
``researches.ctc_unity.X`` is an alias of ``ctc_unity.X`` (the same module objects, see
``researches/__init__.py``), so the classes are registered once whichever name is used.

Under the canonical name, two compatibility fixes for fairseq 0.12 on torch >= 2.6 are
applied first (see :mod:`compat`); data modules that load fairseq checkpoints call
``compat.apply()`` themselves, so importing them stays light.
"""
if __name__ == "ctc_unity":
    import logging as _logging

    _root_level = _logging.getLogger().level
    from . import compat  # noqa: F401  (before any fairseq checkpoint is loaded)
    from . import criterions, models, tasks  # noqa: F401

    # fairseq's wav2vec2_classification calls logging.basicConfig(level=DEBUG) on import, which
    # turns on every library's debug output (matplotlib's font search, ...): keep INFO at most
    if _logging.getLogger().level == _logging.DEBUG and _root_level != _logging.DEBUG:
        _logging.getLogger().setLevel(_logging.INFO)
