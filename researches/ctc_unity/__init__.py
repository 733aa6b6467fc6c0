"""EchoStream fairseq plugin (``--user-dir researches/ctc_unity``).

Importing this package registers the ``echostream`` model/architectures, the
``speech_to_speech_ctc`` task and the ``speech_to_unit_2pass_ctc_asr_st`` criterion,
and applies two compatibility fixes that fairseq 0.12 needs on torch >= 2.6:

* ``torch.load`` defaults to ``weights_only=True``; fairseq checkpoints pickle an
  ``argparse.Namespace``, so it is added to the safe globals (this covers
  ``fairseq-train`` resuming, ``fairseq-generate`` and ``load_model_ensemble_and_task``).
* fairseq imports a top-level ``examples`` package; it is aliased to ``fairseq.examples``.
"""
from researches.ctc_unity import compat  # noqa: F401  (must run before fairseq models import)
from researches.ctc_unity import criterions, models, tasks  # noqa: F401
