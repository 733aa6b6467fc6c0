"""Loading what a streaming session needs: the model bundle (shared by sessions) and a vocoder.

One :class:`StreamingModel` is loaded once and shared by any number of sessions (a server's
connections, a SimulEval run's instances): sessions keep all per-stream state themselves.
:func:`resolve_vocoder` picks the best unit vocoder that exists, and says which.
"""
import logging
import os
from dataclasses import dataclass
from typing import Any, Optional, Sequence, Tuple

logger = logging.getLogger("echostream.streaming")


@dataclass
class StreamingModel:
    """A loaded EchoStream checkpoint with what streaming inference needs beside it.

    Attributes:
        model: :class:`~ctc_unity.models.echostream.EchoStreamModel` in eval mode on ``device``.
        task: its fairseq ``speech_to_speech_ctc`` task.
        asr_dict, mt_dict: fairseq dictionaries of the ASR CTC and MT heads.
        asr_spm, tgt_spm: SentencePiece models of the source transcript and the target text.
        cmvn_npz: global CMVN statistics of the training data (or None).
        data_dir: the prepared data folder.
        device: torch device.

    :attr:`languages` gives the pair the data was prepared for (its data config's
    ``source_lang`` / ``target_lang``, written by the data preparation).
    """

    model: Any
    task: Any
    asr_dict: Any
    mt_dict: Any
    asr_spm: Any
    tgt_spm: Any
    cmvn_npz: Optional[str]
    data_dir: str
    device: str = "cpu"

    @property
    def languages(self) -> dict:
        """``{"source": code, "target": code}`` from the data config; ``None`` values for data prepared
        before the config recorded its pair (language codes as in ``corpus_stats.json``, e.g. ``de``)."""
        cfg = self.task.data_cfg.config
        return {"source": cfg.get("source_lang"), "target": cfg.get("target_lang")}

    @classmethod
    def load(cls, checkpoint: str, data_dir: Optional[str] = None, device: str = "cpu") -> "StreamingModel":
        """Load a fairseq-train checkpoint of ``--arch echostream*``.

        Args:
            checkpoint: checkpoint path.
            data_dir: prepared data folder (default: the one stored in the checkpoint).
            device: torch device.

        Raises:
            FileNotFoundError: the checkpoint, data folder or a SentencePiece model is missing.
        """
        import sentencepiece as spm

        from ..evaluation import load_model
        from ..plugin import load as load_plugin

        load_plugin()  # fairseq registries (idempotent)
        if not os.path.isfile(checkpoint):
            raise FileNotFoundError(f"model checkpoint not found: {checkpoint}")
        if data_dir is not None and not os.path.isdir(data_dir):
            raise FileNotFoundError(f"data folder not found: {data_dir}")
        model, task, _ = load_model(checkpoint, data_dir, device)
        mtl = task.multitask_tasks

        def spm_of(name):
            path = os.path.splitext(mtl[name].args.config["dict"])[0] + ".model"
            if not os.path.isfile(path):
                raise FileNotFoundError(f"SentencePiece model not found: {path}")
            return spm.SentencePieceProcessor(model_file=path)

        cmvn = task.data_cfg.config.get("global_cmvn", {}).get("stats_npz_path")
        return cls(model=model, task=task, asr_dict=mtl[model.asr_task_name].target_dictionary,
                   mt_dict=mtl[model.mt_task_name].target_dictionary, asr_spm=spm_of(model.asr_task_name),
                   tgt_spm=spm_of(model.mt_task_name), cmvn_npz=cmvn, data_dir=task.args.data, device=device)


def find_vocoder(data_dir: str, spec: Optional[str] = None, trained_runs: Sequence[str] = ()) -> Tuple[Any, str]:
    """The best unit vocoder that exists, not loaded: a path, or a Griffin-Lim config dict.

    Order: ``spec`` (a CodeHiFiGAN run directory / ``config.json`` / Griffin-Lim JSON) when
    given; else ``<data_dir>/vocoder``; else the first of ``trained_runs`` (``train_vocoder.sh``
    run directories) holding a ``config.json`` and ``checkpoint_best.pt``; else the
    zero-training Griffin-Lim fallback over the data's unit centroids (per-unit mean durations).

    Returns:
        ``(path or config dict, description)``.

    Raises:
        FileNotFoundError: ``spec`` is given and missing, or no vocoder can be made
            (no trained one and no unit extractor in ``<data_dir>/units``).
    """
    from ..vocoder.griffin_lim import make_griffin_lim_config

    if spec:
        if not os.path.exists(spec):
            raise FileNotFoundError(f"vocoder config not found: {spec}")
        return spec, f"vocoder {spec}"
    candidates = [os.path.join(data_dir, "vocoder")] + [
        r for r in trained_runs if os.path.isfile(os.path.join(r, "config.json"))
        and os.path.isfile(os.path.join(r, "checkpoint_best.pt"))]
    for path in candidates:
        if os.path.exists(path):
            return path, f"trained CodeHiFiGAN {path}"
    units = os.path.join(data_dir, "units")
    if not os.path.isdir(units):
        raise FileNotFoundError(f"no vocoder: no trained CodeHiFiGAN and no unit extractor in {units}")
    return make_griffin_lim_config(units), f"Griffin-Lim fallback over {units} (no trained CodeHiFiGAN found)"


def resolve_vocoder(data_dir: str, spec: Optional[str] = None, checkpoint: Optional[str] = None,
                    trained_runs: Sequence[str] = (), device: str = "cpu") -> Tuple[Any, str]:
    """:func:`find_vocoder`, loaded: ``(vocoder, description)``, the vocoder as
    :func:`ctc_unity.vocoder.load_vocoder` returns it (``checkpoint``: an explicit generator
    checkpoint for ``spec``).

    Raises:
        FileNotFoundError: as :func:`find_vocoder`, or a missing checkpoint.
    """
    from ..vocoder import load_vocoder

    found, which = find_vocoder(data_dir, spec, trained_runs)
    return load_vocoder(found, checkpoint, device=device), which
