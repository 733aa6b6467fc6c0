"""Task ``speech_to_speech_ctc``: fairseq's ``speech_to_speech`` with StreamSpeech's CTC multitasks.

Differences from fairseq's :class:`SpeechToSpeechTask`:

* relative paths (``data:``/``dict:`` in the multitask YAML, ``audio_root``, manifest
  audio paths and the global CMVN file in the data YAML) are resolved against the data
  root (the DATA argument), so a prepared data folder can be moved;
* any model taking the multitask decoders from the task is accepted (fairseq insists on
  its own S2ST Transformer base class);
* ``--target-code-size`` is required with a clear error (units are the main target).
"""
import logging
from pathlib import Path

from fairseq.data import Dictionary
from fairseq.data.audio.data_cfg import MultitaskConfig, S2SDataConfig
from fairseq.tasks import FairseqTask, LegacyFairseqTask, register_task
from fairseq.tasks.speech_to_speech import SpeechToSpeechTask
from fairseq.tasks.speech_to_text import DummyMultiTask

logger = logging.getLogger(__name__)


def load_multitask_config(data_root: str, yaml_name: str) -> MultitaskConfig:
    """Load a multitask YAML, resolving relative ``data``/``dict`` paths against ``data_root``.

    Raises:
        FileNotFoundError: naming the YAML, or the dictionary a task points to.
    """
    path = Path(data_root) / yaml_name
    if not path.is_file():
        raise FileNotFoundError(f"multitask config not found: {path}")
    cfg = MultitaskConfig(path)
    for name, task_cfg in cfg.get_all_tasks().items():
        for key in ("data", "dict"):
            value = task_cfg.config.get(key)
            if value and not Path(value).is_absolute():
                task_cfg.config[key] = str(Path(data_root) / value)
        dict_path = Path(task_cfg.config.get("dict", ""))
        if not dict_path.is_file():
            raise FileNotFoundError(f"{path}: dictionary of multitask '{name}' not found: {dict_path}")
        task_cfg.tgt_dict = Dictionary.load(str(dict_path))
    return cfg


def resolve_data_config_paths(data_cfg: S2SDataConfig, data_root: str) -> S2SDataConfig:
    """Make ``audio_root`` and the global CMVN path of a data config absolute (relative to ``data_root``).

    Returns:
        the same config, modified in place.
    """
    cfg = data_cfg.config
    root = Path(data_root).resolve()
    audio_root = cfg.get("audio_root", "")
    if not audio_root or not Path(audio_root).is_absolute():
        cfg["audio_root"] = str(root / audio_root) if audio_root else str(root)
    cmvn = cfg.get("global_cmvn", {}).get("stats_npz_path")
    if cmvn and not Path(cmvn).is_absolute():
        cfg["global_cmvn"]["stats_npz_path"] = str(root / cmvn)
    return data_cfg


@register_task("speech_to_speech_ctc")
class SpeechToSpeechCTCTask(SpeechToSpeechTask):
    """Speech-to-unit task with ASR-CTC, ST-CTC and MT multitask targets (StreamSpeech)."""

    def __init__(self, args, tgt_dict, infer_tgt_lang_id=None):
        LegacyFairseqTask.__init__(self, args)
        self.tgt_dict = tgt_dict
        self.data_cfg = resolve_data_config_paths(S2SDataConfig(Path(args.data) / args.config_yaml), args.data)
        self.multitask_tasks = {}
        self.tgt_dict_mt = None
        self.eos_token_mt = None
        if getattr(args, "multitask_config_yaml", None) is None:
            raise ValueError("speech_to_speech_ctc needs --multitask-config-yaml (ASR/ST CTC and MT targets)")
        cfg = load_multitask_config(args.data, args.multitask_config_yaml)
        first_pass = cfg.first_pass_decoder_task_index
        for i, (name, task_cfg) in enumerate(cfg.get_all_tasks().items()):
            obj = DummyMultiTask(task_cfg, task_cfg.tgt_dict, first_pass=i == first_pass)
            self.multitask_tasks[name] = obj
            if obj.is_first_pass_decoder:
                self.tgt_dict_mt = obj.target_dictionary
        self._infer_tgt_lang_id = infer_tgt_lang_id

    @classmethod
    def setup_task(cls, args, **kwargs):
        """Check the unit vocabulary options, then build as fairseq's speech_to_speech does."""
        if not getattr(args, "target_is_code", False) or getattr(args, "target_code_size", None) is None:
            raise ValueError("speech_to_speech_ctc predicts discrete units: pass --target-is-code and "
                             "--target-code-size K (K = number of k-means clusters of the data)")
        return super().setup_task(args, **kwargs)

    def load_dataset(self, split, epoch=1, combine=False, **kwargs):
        """Load ``split`` (comma-separated splits are concatenated) as fairseq's speech_to_speech does.

        Splits with target-only rows (:mod:`ctc_unity.datasets.target_set`: no source speech or
        text) are accepted only for unit-path-only training (``--unit-states tokens
        --train-unit-decoder-only``), the one model that never reads the source.

        Raises:
            ValueError: naming the split, if it has target-only rows and the model reads the source.
        """
        super().load_dataset(split, epoch=epoch, combine=combine, **kwargs)
        from ..datasets.target_set import has_target_only_rows

        ds = self.datasets[split]
        parts = getattr(ds, "datasets", [ds])
        unit_path_only = (getattr(self.args, "unit_states", None) == "tokens"
                          and getattr(self.args, "train_unit_decoder_only", False))
        for part in parts:
            if not unit_path_only and has_target_only_rows(getattr(part, "audio_paths", [])):
                raise ValueError(f"split {getattr(part, 'split', split)!r} has target-only rows (no source speech): "
                                 "only unit-path-only training (--unit-states tokens --train-unit-decoder-only, "
                                 "train_t2u.sh) can read it")

    def build_model(self, args, from_checkpoint=False):
        """Build the model with the data config's input shape; no base-class restriction."""
        args.input_feat_per_channel = self.data_cfg.input_feat_per_channel
        args.input_channels = self.data_cfg.input_transformed_channels
        args.target_speaker_embed = self.data_cfg.target_speaker_embed is not None
        args.n_frames_per_step = self.args.n_frames_per_step
        return FairseqTask.build_model(self, args, from_checkpoint)

    def build_criterion(self, args):
        """Any registered criterion (fairseq's parent insists on a ``speech_to_unit*`` name)."""
        from fairseq import criterions

        return criterions.build_criterion(args, self)

    def build_generator(self, models, args, seq_gen_cls=None, extra_gen_cls_kwargs=None):
        """Beam search over the MT (first-pass) decoder's target subwords."""
        from fairseq.sequence_generator import SequenceGenerator

        return SequenceGenerator(
            models, self.target_dictionary_mt, beam_size=max(1, getattr(args, "beam", 1)),
            max_len_a=getattr(args, "max_len_a", 0), max_len_b=getattr(args, "max_len_b", 200),
            len_penalty=getattr(args, "lenpen", 1.0),
        )
