"""EchoStream fairseq plugin (``--user-dir researches/ctc_unity``).

fairseq imports a ``--user-dir`` as a top-level module named after the folder, so the
canonical name of this package is ``ctc_unity`` (with ``researches/`` on ``sys.path``).
Importing it under that name registers the ``echostream`` model/architectures, the
``speech_to_speech_ctc`` task and the ``speech_to_unit_2pass_ctc_asr_st`` criterion.
Model code must always be imported as ``ctc_unity.*`` (use :func:`ctc_unity.plugin.load`
from scripts); importing it as ``researches.ctc_unity.models`` would register the same
classes twice. Pure data modules (``researches.ctc_unity.datasets``) are safe under either
name.

Under the canonical name, two compatibility fixes for fairseq 0.12 on torch >= 2.6 are
applied first (see :mod:`compat`); data modules that load fairseq checkpoints call
``compat.apply()`` themselves, so importing them stays light.
"""
if __name__ == "ctc_unity":
    from . import compat  # noqa: F401  (before any fairseq checkpoint is loaded)
    from . import criterions, models, tasks  # noqa: F401
