"""wav2vec 2.0 CTC back end: a user-provided checkpoint in **torchaudio format**.

StreamSpeech's / fairseq's ASR-BLEU for English uses the HuggingFace model
``facebook/wav2vec2-large-960h-lv60-self`` (greedy CTC, transcript lower-cased). This module
loads the same kind of model as a ``torchaudio.models.wav2vec2_model`` (the architecture
behind torchaudio's ``WAV2VEC2_ASR_*`` bundles), so no ``transformers`` install is needed at
evaluation time. The export is a folder::

    model.pt      state_dict of torchaudio.models.wav2vec2_model(**params)
    config.json   {"format": "torchaudio_wav2vec2_ctc",
                   "params": {keyword arguments of wav2vec2_model, aux_num_out included},
                   "sample_rate": 16000, "normalize_waveform": true|false,
                   "blank": 0, "word_delimiter": "|"}
    labels.txt    output labels, one per line, line i = output index i (e.g. "-", "|", "E", ...)
                  -- or vocab.json (a HuggingFace tokenizer vocabulary {"<pad>": 0, ...}),
                  -- or a "labels" list inside config.json

Making an export (on a machine with the weights; see :func:`save_wav2vec2_export`):

* from a torchaudio bundle (``WAV2VEC2_ASR_LARGE_LV60K_960H`` is the fairseq original of
  ``wav2vec2-large-960h-lv60-self``)::

      b = torchaudio.pipelines.WAV2VEC2_ASR_LARGE_LV60K_960H
      save_wav2vec2_export("asr_w2v", b.get_model(), b._params, b.get_labels(),
                           normalize_waveform=b._normalize_waveform)

* from HuggingFace ``Wav2Vec2ForCTC`` (``hf``) with torchaudio's converter::

      from torchaudio.models.wav2vec2.utils import import_huggingface_model
      from torchaudio.models.wav2vec2.utils.import_huggingface import _get_config
      params = dict(_get_config(hf.config), aux_num_out=hf.config.vocab_size)
      labels = [tok for tok, _ in sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])]
      save_wav2vec2_export("asr_w2v", import_huggingface_model(hf), params, labels,
                           normalize_waveform=feature_extractor.do_normalize)

* from a fairseq wav2vec2 CTC checkpoint: load it with
  ``fairseq.checkpoint_utils.load_model_ensemble_and_task`` and convert with
  ``torchaudio.models.wav2vec2.utils.import_fairseq_model``; labels are
  ``["<s>", "<pad>", "</s>", "<unk>"] + first column of dict.ltr.txt`` (blank = 0).

Decoding is greedy CTC: best path, repeats merged, blank and ``<...>`` special tokens
dropped, the word delimiter becomes a space, then lower-cased.
"""
import json
import os
from typing import Dict, List, Sequence, Tuple

import torch

from ..datasets.atomic import atomic_open, write_json_atomic
from ..datasets.audio_io import SAMPLE_RATE
from ..modules.ctc_decoding import ctc_greedy
from .transcriber import Transcriber, as_waveform

FORMAT = "torchaudio_wav2vec2_ctc"


def _paths(path: str) -> Tuple[str, str]:
    if os.path.isdir(path):
        return os.path.join(path, "model.pt"), path
    return path, os.path.dirname(os.path.abspath(path))


def read_labels(folder: str, config: Dict) -> List[str]:
    """Output labels of an export: ``config["labels"]``, else ``labels.txt``, else ``vocab.json``.

    Returns:
        list of labels, index = model output index.

    Raises:
        FileNotFoundError: none of the three is present.
        ValueError: ``vocab.json`` ids are not ``0..V-1``.
    """
    if config.get("labels"):
        return list(config["labels"])
    txt = os.path.join(folder, "labels.txt")
    if os.path.isfile(txt):
        with open(txt, encoding="utf-8") as fh:
            return [line.rstrip("\n") for line in fh if line.rstrip("\n") != ""]
    vocab = os.path.join(folder, "vocab.json")
    if os.path.isfile(vocab):
        with open(vocab, encoding="utf-8") as fh:
            table = json.load(fh)
        labels = [tok for tok, _ in sorted(table.items(), key=lambda kv: kv[1])]
        if sorted(table.values()) != list(range(len(labels))):
            raise ValueError(f"{vocab}: token ids are not 0..{len(labels) - 1}")
        return labels
    raise FileNotFoundError(f"{folder}: no labels (config.json 'labels', labels.txt or vocab.json)")


def load_wav2vec2(path: str, device: str = "cpu") -> Tuple[torch.nn.Module, Dict, List[str]]:
    """Load a torchaudio wav2vec2 CTC export (see the module docstring).

    Args:
        path: the export folder, or its ``model.pt`` (``config.json`` and labels beside it).
        device: torch device.

    Returns:
        ``(model in eval mode, config dict, labels)``.

    Raises:
        FileNotFoundError: missing ``model.pt``, ``config.json`` or labels.
        ValueError: wrong format, or labels / output size mismatch.
    """
    from torchaudio.models import wav2vec2_model

    weights, folder = _paths(path)
    cfg_path = os.path.join(folder, "config.json")
    for p in (weights, cfg_path):
        if not os.path.isfile(p):
            raise FileNotFoundError(f"wav2vec2 export: {p} not found")
    with open(cfg_path, encoding="utf-8") as fh:
        config = json.load(fh)
    if config.get("format", FORMAT) != FORMAT or "params" not in config:
        raise ValueError(f"{cfg_path}: not a {FORMAT} config (needs 'params')")
    labels = read_labels(folder, config)
    params = dict(config["params"])
    if params.get("aux_num_out") != len(labels):
        raise ValueError(f"{cfg_path}: aux_num_out={params.get('aux_num_out')} but {len(labels)} labels")
    model = wav2vec2_model(**params)
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return model.to(device).eval(), config, labels


def ctc_labels_to_text(ids: Sequence[int], labels: Sequence[str], word_delimiter: str = "|") -> str:
    """Text of collapsed CTC ids: special ``<...>`` tokens dropped, delimiter -> space, lower-cased."""
    pieces = []
    for i in ids:
        tok = labels[i]
        if tok.startswith("<") and tok.endswith(">"):
            continue
        pieces.append(" " if tok == word_delimiter else tok)
    return " ".join("".join(pieces).lower().split())


class Wav2Vec2Transcriber(Transcriber):
    """Greedy CTC decoding with a torchaudio wav2vec2 export.

    Args:
        path: export folder or its ``model.pt``.
        device: torch device.

    Raises:
        see :func:`load_wav2vec2`; ValueError if the export's sample rate is not 16000.
    """

    def __init__(self, path: str, device: str = "cpu") -> None:
        self.model, self.config, self.labels = load_wav2vec2(path, device)
        if int(self.config.get("sample_rate", SAMPLE_RATE)) != self.sample_rate:
            raise ValueError(f"{path}: model sample rate {self.config['sample_rate']} Hz; only {self.sample_rate} Hz is supported")
        blank = self.config.get("blank", 0)
        self.blank = self.labels.index(blank) if isinstance(blank, str) else int(blank)
        self.word_delimiter = self.config.get("word_delimiter", "|")
        self.normalize_waveform = bool(self.config.get("normalize_waveform", False))
        self.device = device
        self.name = f"wav2vec2:{path}"

    @torch.no_grad()
    def transcribe(self, waveform: torch.Tensor) -> str:
        """Transcribe one ``(n_samples,)`` 16 kHz utterance (see :class:`~.transcriber.Transcriber`).

        Returns ``""`` for audio too short for the convolutional feature extractor (400 samples).

        Raises:
            AudioError: empty, all-zero or non-finite audio.
        """
        wav = as_waveform(waveform)
        if wav.numel() < 400:
            return ""
        x = wav[None].to(self.device)
        if self.normalize_waveform:
            x = torch.nn.functional.layer_norm(x, x.shape)
        emissions, _ = self.model(x)
        ids = ctc_greedy(emissions.transpose(0, 1).cpu(), torch.tensor([emissions.shape[1]]), blank=self.blank)[0]
        return ctc_labels_to_text(ids, self.labels, self.word_delimiter)


def save_wav2vec2_export(out_dir: str, model: torch.nn.Module, params: Dict, labels: Sequence[str],
                         normalize_waveform: bool, sample_rate: int = SAMPLE_RATE, blank: int = 0,
                         word_delimiter: str = "|") -> None:
    """Write a torchaudio wav2vec2 CTC export (``model.pt``, ``config.json``, ``labels.txt``), atomically.

    Args:
        out_dir: destination folder (created).
        model: a ``torchaudio.models.Wav2Vec2Model`` with a CTC head (``aux``).
        params: the ``wav2vec2_model`` keyword arguments that build ``model`` (with ``aux_num_out``).
        labels: output labels, index = output id.
        normalize_waveform: whether the model expects per-utterance zero-mean unit-variance input.
        sample_rate: input rate in Hz (16000).
        blank: index of the CTC blank.
        word_delimiter: label that separates words.

    Raises:
        ValueError: ``len(labels)`` differs from ``params["aux_num_out"]`` or a label contains a newline.
    """
    if params.get("aux_num_out") != len(labels):
        raise ValueError(f"aux_num_out={params.get('aux_num_out')} but {len(labels)} labels")
    if any("\n" in lab or lab == "" for lab in labels):
        raise ValueError("labels must be non-empty and single-line")
    os.makedirs(out_dir, exist_ok=True)
    with atomic_open(os.path.join(out_dir, "model.pt"), "wb") as fh:
        torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, fh)
    config = {"format": FORMAT, "params": {k: (list(map(list, v)) if k == "extractor_conv_layer_config" and v else v)
                                           for k, v in params.items()},
              "sample_rate": sample_rate, "normalize_waveform": bool(normalize_waveform), "blank": blank,
              "word_delimiter": word_delimiter}
    write_json_atomic(os.path.join(out_dir, "config.json"), config)
    with atomic_open(os.path.join(out_dir, "labels.txt")) as fh:
        for lab in labels:
            fh.write(f"{lab}\n")
