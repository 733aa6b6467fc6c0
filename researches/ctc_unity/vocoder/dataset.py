"""(50 Hz unit sequence, waveform) training pairs for the unit vocoder.

Reads a prepared S2ST data folder:

* ``units/{split}.tsv`` -- columns ``id  units  durations``: reduced unit ids and their
  run-lengths in 50 Hz frames (:func:`..datasets.units.expand_units` gives the frame-level
  sequence);
* ``simuleval/{split}/tgt_wav_list.txt`` -- the target 16 kHz WAVs, same row order.

Alignment. The unit extractor's frame ``t`` is centred on sample ``320 t`` (centred STFT),
while the generator writes frame ``t`` to output samples ``[320 t, 320 (t + 1))``. The
target waveform is therefore delayed by ``align_offset = 160`` samples (half a hop: each
frame's analysis window is centred in its output block) and then zero-padded / trimmed to
exactly ``320 * n_frames`` samples. (HuBERT-unit CodeHiFiGAN training in speech-resynthesis
(Polyak et al. 2021) simply crops audio and codes jointly; the half-hop shift only changes
where the 10 ms of slack goes.)

Batches are a deterministic function of ``(seed, step)`` (:class:`BatchSchedule`), so a
resumed run sees exactly the batches an uninterrupted one would have.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from ..datasets.audio_io import load_audio
from ..datasets.tsv import read_tsv
from ..datasets.units import expand_units

logger = logging.getLogger(__name__)

HOP = 320


@dataclass
class UnitUtterance:
    """One row of ``units/{split}.tsv`` plus its target WAV.

    Attributes:
        id: utterance id.
        reduced: ``(N,)`` int64 reduced unit ids.
        durations: ``(N,)`` int64 run-lengths in 50 Hz frames (>= 1).
        wav_path: target 16 kHz WAV.
    """

    id: str
    reduced: np.ndarray
    durations: np.ndarray
    wav_path: str

    @property
    def n_frames(self) -> int:
        """Frames at 50 Hz (``sum(durations)``)."""
        return int(self.durations.sum())


def read_unit_tsv(path: str) -> List[Tuple[str, List[int], List[int]]]:
    """Rows ``(id, reduced units, durations)`` of a ``units/{split}.tsv`` file.

    Reduced units + run-lengths in 50 Hz frames, the target format of reduced-unit S2UT
    (Lee et al. 2022).

    Raises:
        FileNotFoundError: missing file.
        ValueError: no ``units``/``durations`` column, or a row whose two lists differ in
            length or contain a non-positive duration (the message names the row).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"unit manifest not found: {path}")
    rows = []
    for r in read_tsv(path, ("id", "units", "durations")):
        units = [int(v) for v in (r["units"] or "").split()]
        durs = [int(v) for v in (r["durations"] or "").split()]
        if len(units) != len(durs) or not units:
            raise ValueError(f"{path}: row {r['id']!r}: {len(units)} units but {len(durs)} durations")
        if min(durs) < 1:
            raise ValueError(f"{path}: row {r['id']!r}: durations must be >= 1")
        rows.append((r["id"], units, durs))
    return rows


def data_n_units(data_dir: str) -> int:
    """Unit vocabulary size K of a prepared data folder.

    Looked up in ``units/unit_extractor.json`` (``n_units``), then ``config_gcmvn.yaml``
    (``n_units``), else ``1 + max unit id`` over the train/dev/test manifests.

    Raises:
        FileNotFoundError: none of those sources exists.
    """
    spec = os.path.join(data_dir, "units", "unit_extractor.json")
    if os.path.isfile(spec):
        with open(spec, encoding="utf-8") as fh:
            n = json.load(fh).get("n_units")
        if n:
            return int(n)
    cfg = os.path.join(data_dir, "config_gcmvn.yaml")
    if os.path.isfile(cfg):
        import yaml

        with open(cfg, encoding="utf-8") as fh:
            n = (yaml.safe_load(fh) or {}).get("n_units")
        if n:
            return int(n)
    best = -1
    found = False
    for split in ("train", "dev", "test"):
        p = os.path.join(data_dir, "units", f"{split}.tsv")
        if os.path.isfile(p):
            found = True
            for _, u, _ in read_unit_tsv(p):
                best = max(best, max(u))
    if not found:
        raise FileNotFoundError(f"{data_dir}: no units/unit_extractor.json, config_gcmvn.yaml or units/*.tsv")
    return best + 1


class UnitWaveDataset:
    """Utterances of one split with lazily loaded, frame-aligned target audio.

    Training pairs are random aligned crops of (50 Hz units, waveform), as in HiFi-GAN /
    speech-resynthesis (Kong et al. 2020; Polyak et al. 2021); whole-utterance reduced units
    and durations come along for the duration loss (Lee et al. 2022).

    Args:
        data_dir: prepared data folder (see module docstring).
        split: ``train`` / ``dev`` / ``test``.
        segment_size: training crop length in samples (a multiple of ``hop``; e.g. 8000 =
            25 frames = 0.5 s).
        hop: samples per unit frame (320 at 16 kHz / 50 Hz).
        align_offset: samples the target audio is delayed by (160, see module docstring).
        max_items: keep only the first ``max_items`` utterances (None: all).
        cache_audio: keep loaded waveforms in memory (float32; ~0.3 GB per hour of audio).
        max_misalignment: largest tolerated ``|len(audio) + align_offset - hop * n_frames|``
            in samples before an utterance is declared misaligned.

    Raises:
        FileNotFoundError: manifest or WAV list missing.
        ValueError: ``segment_size`` not a positive multiple of ``hop``; manifest and WAV
            list differ in length.
    """

    def __init__(self, data_dir: str, split: str, segment_size: int = 8000, hop: int = HOP,
                 align_offset: int = HOP // 2, max_items: Optional[int] = None, cache_audio: bool = False,
                 max_misalignment: int = 2 * HOP):
        if segment_size <= 0 or segment_size % hop:
            raise ValueError(f"segment_size must be a positive multiple of hop={hop}, got {segment_size}")
        self.data_dir = data_dir
        self.split = split
        self.segment_size = int(segment_size)
        self.segment_frames = self.segment_size // hop
        self.hop = int(hop)
        self.align_offset = int(align_offset)
        self.max_misalignment = int(max_misalignment)
        rows = read_unit_tsv(os.path.join(data_dir, "units", f"{split}.tsv"))
        wav_list = os.path.join(data_dir, "simuleval", split, "tgt_wav_list.txt")
        if not os.path.isfile(wav_list):
            raise FileNotFoundError(f"target WAV list not found: {wav_list}")
        with open(wav_list, encoding="utf-8") as fh:
            wavs = [ln.strip() for ln in fh if ln.strip()]
        if len(wavs) != len(rows):
            raise ValueError(f"{wav_list} lists {len(wavs)} WAVs but units/{split}.tsv has {len(rows)} rows")
        self.items = [
            UnitUtterance(i, np.asarray(u, dtype=np.int64), np.asarray(d, dtype=np.int64), w)
            for (i, u, d), w in zip(rows, wavs)
        ]
        if max_items is not None:
            self.items = self.items[: int(max_items)]
        self.cache_audio = bool(cache_audio)
        self._cache: Dict[int, torch.Tensor] = {}

    def __len__(self) -> int:
        return len(self.items)

    def frames(self, i: int) -> torch.Tensor:
        """``(n_frames,)`` LongTensor: the 50 Hz unit sequence of utterance ``i``."""
        it = self.items[i]
        return torch.tensor(expand_units(it.reduced, it.durations), dtype=torch.long)

    def audio(self, i: int) -> torch.Tensor:
        """``(hop * n_frames,)`` float32 target waveform of utterance ``i``, aligned to its frames.

        Raises:
            AudioError: unreadable / empty WAV.
            ValueError: the WAV length does not match the unit count (misaligned data).
        """
        if i in self._cache:
            return self._cache[i]
        it = self.items[i]
        wav, _ = load_audio(it.wav_path, quiet=True)
        target = self.hop * it.n_frames
        diff = wav.numel() + self.align_offset - target
        if abs(diff) > self.max_misalignment:
            raise ValueError(
                f"{it.wav_path}: {wav.numel()} samples do not match {it.n_frames} unit frames "
                f"(expected about {target - self.align_offset}); units and WAVs are misaligned"
            )
        wav = torch.nn.functional.pad(wav, (self.align_offset, max(0, -diff)))[:target].contiguous()
        if self.cache_audio:
            self._cache[i] = wav
        return wav

    def segment(self, i: int, rng: np.random.Generator) -> Tuple[torch.Tensor, torch.Tensor]:
        """A random aligned crop of utterance ``i``.

        Returns:
            ``(frames (segment_frames,) long, wav (segment_size,) float32)``. Utterances
            shorter than the segment are padded (last unit repeated, zero audio).
        """
        frames, wav = self.frames(i), self.audio(i)
        n, s = frames.numel(), self.segment_frames
        if n < s:
            frames = torch.cat([frames, frames[-1:].expand(s - n)])
            wav = torch.nn.functional.pad(wav, (0, self.segment_size - wav.numel()))
            return frames, wav
        start = int(rng.integers(0, n - s + 1))
        return frames[start:start + s], wav[start * self.hop:(start + s) * self.hop]

    def batch(self, indices: Sequence[int], rng: np.random.Generator) -> Dict[str, object]:
        """Collate random crops of the given utterances.

        Returns:
            dict with ``code`` ``(B, segment_frames)`` long (50 Hz units), ``audio``
            ``(B, 1, segment_size)`` float32, ``reduced`` / ``durations``: lists of ``(N_i,)``
            LongTensors of the *whole* utterances (for the duration loss), ``ids``.
        """
        codes, wavs = zip(*(self.segment(int(i), rng) for i in indices))
        return {
            "code": torch.stack(codes),
            "audio": torch.stack(wavs).unsqueeze(1),
            "reduced": [torch.from_numpy(self.items[int(i)].reduced) for i in indices],
            "durations": [torch.from_numpy(self.items[int(i)].durations) for i in indices],
            "ids": [self.items[int(i)].id for i in indices],
        }


class BatchSchedule:
    """Deterministic batch indices and crop RNG for every training step (exact resumption).

    Epoch ``e`` is a permutation of the utterances drawn from ``default_rng([seed, e])``
    (the incomplete last batch is dropped); step ``s`` takes batch ``s % steps_per_epoch``
    of epoch ``s // steps_per_epoch``. With fewer utterances than ``batch_size`` the
    indices are drawn with replacement.

    Args:
        n_items: dataset size (>= 1).
        batch_size: utterances per step (>= 1).
        seed: base seed.

    Raises:
        ValueError: ``n_items < 1`` or ``batch_size < 1``.
    """

    def __init__(self, n_items: int, batch_size: int, seed: int = 0):
        if n_items < 1 or batch_size < 1:
            raise ValueError(f"need n_items >= 1 and batch_size >= 1, got {n_items}, {batch_size}")
        self.n_items, self.batch_size, self.seed = int(n_items), int(batch_size), int(seed)
        self.steps_per_epoch = max(1, self.n_items // self.batch_size)

    def epoch(self, step: int) -> int:
        """Epoch that step ``step`` (0-based) belongs to."""
        return step // self.steps_per_epoch

    def indices(self, step: int) -> np.ndarray:
        """Utterance indices ``(batch_size,)`` of step ``step``."""
        e, pos = divmod(int(step), self.steps_per_epoch)
        rng = np.random.default_rng([self.seed, e])
        if self.n_items < self.batch_size:
            return rng.integers(0, self.n_items, size=self.batch_size)
        perm = rng.permutation(self.n_items)
        return perm[pos * self.batch_size:(pos + 1) * self.batch_size]

    def crop_rng(self, step: int) -> np.random.Generator:
        """Random generator for the crops of step ``step``."""
        return np.random.default_rng([self.seed, int(step), 1])
