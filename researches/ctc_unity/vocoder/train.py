"""Train a CodeHiFiGAN unit vocoder (fairseq ``CodeGenerator`` + duration predictor).

Recipe: HiFi-GAN (Kong et al. 2020) adversarial training as adapted to discrete units by
speech-resynthesis (Polyak et al. 2021), with the unit duration predictor of Lee et al.
2022 ("Direct speech-to-speech translation with discrete units"):

* generator: fairseq's ``CodeGenerator`` (unit embedding -> HiFi-GAN upsampler; optional
  ``VariancePredictor`` duration predictor on the same embedding);
* discriminators: multi-period (periods 2, 3, 5, 7, 11) + multi-scale (3 scales);
* losses: LSGAN adversarial, feature matching (x2), log-mel L1 (x45), duration MSE on
  ``log(d + 1)`` of the reduced units' true run-lengths (x1);
* AdamW(lr 2e-4, betas 0.8 / 0.99), ``ExponentialLR(0.999)`` stepped once per epoch;
* random aligned crops (``segment_size`` samples) of (50 Hz unit sequence, waveform) pairs
  (:mod:`.dataset`); dev-set mel-L1 validation; TensorBoard scalars + audio.

Outputs in the run directory:

* ``config.json`` + ``checkpoint_last.pt`` / ``checkpoint_best.pt`` (``{"generator":
  state_dict, "step": int}``): exactly what fairseq's ``CodeHiFiGANVocoder`` and
  :func:`.code_hifigan.load_vocoder` load;
* ``training_state.pt``: generator, discriminators, optimizers, schedulers, step, best
  dev loss -- a later run with the same run directory resumes from it;
* ``tb/``: TensorBoard logs.

All files are written atomically. Command line: ``python -m
ctc_unity.vocoder.train --data DIR --config JSON --run-dir DIR`` (see
``train_vocoder.sh``).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence

import torch

from ..datasets.atomic import atomic_open, write_json_atomic
from ..datasets.audio_io import SAMPLE_RATE
from .code_hifigan import ARCH_KEYS, build_generator, hop_size, validate_generator_config
from .dataset import BatchSchedule, UnitWaveDataset, data_n_units
from .discriminators import MPD_CHANNELS, MSD_CHANNELS, MSD_GROUPS, MultiPeriodDiscriminator, MultiScaleDiscriminator
from .losses import (MelL1Loss, discriminator_loss, duration_loss, feature_matching_loss,
                     generator_adversarial_loss, predict_log_durations)

logger = logging.getLogger("vocoder.train")

STATE_NAME = "training_state.pt"
LAST_NAME = "checkpoint_last.pt"
BEST_NAME = "checkpoint_best.pt"
CONFIG_NAME = "config.json"

#: Training hyper-parameters (defaults; a config JSON overrides them).
TRAIN_DEFAULTS: Dict[str, Any] = {
    "sampling_rate": SAMPLE_RATE,
    "batch_size": 16,
    "segment_size": 8960,
    "learning_rate": 2e-4,
    "adam_b1": 0.8,
    "adam_b2": 0.99,
    "lr_decay": 0.999,
    "seed": 1234,
    "lambda_mel": 45.0,
    "lambda_fm": 2.0,
    "lambda_adv": 1.0,
    "lambda_dur": 1.0,
    "disc_start_step": 0,
    "mpd_periods": [2, 3, 5, 7, 11],
    "mpd_channels": list(MPD_CHANNELS),
    "msd_scales": 3,
    "msd_channels": list(MSD_CHANNELS),
    "msd_groups": list(MSD_GROUPS),
    "mel_loss": {"n_fft": 1024, "win_length": 1024, "hop_length": 256, "n_mels": 80, "f_min": 0.0, "f_max": 8000.0},
    "align_offset": 160,
    "cache_audio": False,
    "log_interval": 50,
    "valid_interval": 1000,
    "checkpoint_interval": 1000,
    "valid_max_utts": 32,
    "tb_audio_utts": 2,
}


# ----------------------------------------------------------------------------- config


def parse_override(text: str) -> tuple:
    """``"key=value"`` -> ``(key, value)`` with ``value`` parsed as JSON when possible (else the string).

    Raises:
        ValueError: no ``=``.
    """
    if "=" not in text:
        raise ValueError(f"override {text!r} is not KEY=VALUE")
    k, v = text.split("=", 1)
    try:
        return k.strip(), json.loads(v)
    except json.JSONDecodeError:
        return k.strip(), v


def load_config(path: Optional[str], overrides: Sequence[str] = (), n_units: Optional[int] = None) -> Dict[str, Any]:
    """Training + generator config: :data:`TRAIN_DEFAULTS` <- JSON file <- overrides.

    Args:
        path: config JSON (``configs/vocoder_cpu.json`` / ``vocoder_paper.json``) or None.
        overrides: ``KEY=VALUE`` strings (JSON values).
        n_units: sets ``num_embeddings`` (the data's K) when given.

    Raises:
        FileNotFoundError: missing file. ValueError: invalid generator config.
    """
    cfg = json.loads(json.dumps(TRAIN_DEFAULTS))
    if path:
        with open(path, encoding="utf-8") as fh:
            cfg.update(json.load(fh))
    for o in overrides:
        k, v = parse_override(o)
        cfg[k] = v
    if n_units is not None:
        cfg["num_embeddings"] = int(n_units)
    cfg.setdefault("model_in_dim", cfg.get("embedding_dim"))
    cfg["code_hop_size"] = hop_size(cfg)
    validate_generator_config(cfg)
    if int(cfg["segment_size"]) % cfg["code_hop_size"]:
        raise ValueError(f"segment_size {cfg['segment_size']} must be a multiple of the hop {cfg['code_hop_size']}")
    return cfg


def _arch(cfg: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: cfg.get(k) for k in ARCH_KEYS}


def _save_torch(obj: Any, path: str) -> None:
    with atomic_open(path, "wb") as fh:
        torch.save(obj, fh)


# ---------------------------------------------------------------------------- trainer


class VocoderTrainer:
    """HiFi-GAN training of a CodeHiFiGAN unit vocoder (see the module docstring).

    Follows HiFi-GAN (Kong et al. 2020), speech-resynthesis (Polyak et al. 2021) and the
    duration-predicting unit vocoder of Lee et al. 2022.

    Args:
        cfg: config from :func:`load_config` (``num_embeddings`` must be set).
        data_dir: prepared data folder (``units/``, ``simuleval/``).
        run_dir: output directory (created).
        device: ``"cpu"``, ``"cuda"``, ...
        resume: True: resume from ``run_dir/training_state.pt`` (error if missing);
            None: resume if present; False: error if present (never overwrite a run).
        train_split, valid_split: manifest names.
        max_train_items: use only the first N training utterances (tests / debugging).

    Raises:
        FileNotFoundError: data missing; ``resume=True`` without a state file.
        FileExistsError: ``resume=False`` but the run directory has a state file.
        ValueError: the run directory's saved architecture differs from ``cfg``.
    """

    def __init__(self, cfg: Dict[str, Any], data_dir: str, run_dir: str, device: str = "cpu",
                 resume: Optional[bool] = None, train_split: str = "train", valid_split: str = "dev",
                 max_train_items: Optional[int] = None, tensorboard: bool = True):
        self.cfg = dict(cfg)
        self.data_dir, self.run_dir = data_dir, run_dir
        self.device = torch.device(device)
        os.makedirs(run_dir, exist_ok=True)
        state_path = os.path.join(run_dir, STATE_NAME)
        has_state = os.path.isfile(state_path)
        if resume is True and not has_state:
            raise FileNotFoundError(f"--resume: no {STATE_NAME} in {run_dir}")
        if resume is False and has_state:
            raise FileExistsError(f"{run_dir} already holds a training state; resume it or choose another run dir")
        saved_cfg_path = os.path.join(run_dir, CONFIG_NAME)
        if has_state and os.path.isfile(saved_cfg_path):
            with open(saved_cfg_path, encoding="utf-8") as fh:
                saved = json.load(fh)
            if _arch(saved) != _arch(self.cfg):
                diff = {k: (saved.get(k), self.cfg.get(k)) for k in ARCH_KEYS if saved.get(k) != self.cfg.get(k)}
                raise ValueError(f"{run_dir}: saved architecture differs from the config (saved, new): {diff}")

        torch.manual_seed(int(cfg["seed"]))
        c = self.cfg
        self.generator = build_generator(c).to(self.device)
        self.mpd = MultiPeriodDiscriminator(c["mpd_periods"], c["mpd_channels"]).to(self.device)
        self.msd = MultiScaleDiscriminator(c["msd_scales"], c["msd_channels"], c["msd_groups"]).to(self.device)
        self.mel_loss = MelL1Loss(sample_rate=c["sampling_rate"], **c["mel_loss"]).to(self.device)
        betas = (float(c["adam_b1"]), float(c["adam_b2"]))
        self.optim_g = torch.optim.AdamW(self.generator.parameters(), float(c["learning_rate"]), betas=betas)
        self.optim_d = torch.optim.AdamW(list(self.mpd.parameters()) + list(self.msd.parameters()),
                                         float(c["learning_rate"]), betas=betas)
        self.sched_g = torch.optim.lr_scheduler.ExponentialLR(self.optim_g, gamma=float(c["lr_decay"]))
        self.sched_d = torch.optim.lr_scheduler.ExponentialLR(self.optim_d, gamma=float(c["lr_decay"]))

        hop = c["code_hop_size"]
        self.train_set = UnitWaveDataset(data_dir, train_split, int(c["segment_size"]), hop, int(c["align_offset"]),
                                         max_items=max_train_items, cache_audio=bool(c["cache_audio"]))
        self.valid_set = UnitWaveDataset(data_dir, valid_split, int(c["segment_size"]), hop, int(c["align_offset"]),
                                         max_items=int(c["valid_max_utts"]), cache_audio=True)
        self.schedule = BatchSchedule(len(self.train_set), int(c["batch_size"]), int(c["seed"]))
        self.has_dur = getattr(self.generator, "dur_predictor", None) is not None

        self.step = 0
        self.best_valid = math.inf
        self.train_seconds = 0.0
        self._audio_refs_logged = False
        if has_state:
            self.load_state(state_path)
        else:
            write_json_atomic(saved_cfg_path, self.cfg)
        self.writer = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(os.path.join(run_dir, "tb"))

    # ------------------------------------------------------------------ state
    def state_dict(self) -> Dict[str, Any]:
        """Everything needed to resume (tensors, numbers and the config only)."""
        return {
            "step": self.step, "best_valid": self.best_valid, "train_seconds": self.train_seconds,
            "generator": self.generator.state_dict(), "mpd": self.mpd.state_dict(), "msd": self.msd.state_dict(),
            "optim_g": self.optim_g.state_dict(), "optim_d": self.optim_d.state_dict(),
            "sched_g": self.sched_g.state_dict(), "sched_d": self.sched_d.state_dict(),
            "config": self.cfg, "torch_rng": torch.get_rng_state(),
        }

    def load_state(self, path: str) -> None:
        """Restore a :meth:`state_dict` written by :meth:`save` (``weights_only`` torch.load).

        Raises:
            RuntimeError: the state does not fit the models.
        """
        st = torch.load(path, map_location=self.device, weights_only=True)
        self.generator.load_state_dict(st["generator"])
        self.mpd.load_state_dict(st["mpd"])
        self.msd.load_state_dict(st["msd"])
        self.optim_g.load_state_dict(st["optim_g"])
        self.optim_d.load_state_dict(st["optim_d"])
        self.sched_g.load_state_dict(st["sched_g"])
        self.sched_d.load_state_dict(st["sched_d"])
        self.step = int(st["step"])
        self.best_valid = float(st["best_valid"])
        self.train_seconds = float(st.get("train_seconds", 0.0))
        if "torch_rng" in st:
            torch.set_rng_state(st["torch_rng"].cpu())
        logger.info(f"resumed from {path} at step {self.step} (best dev mel-L1 {self.best_valid:.4f})")

    def save(self, is_best: bool = False) -> None:
        """Write ``training_state.pt``, ``checkpoint_last.pt`` (and ``checkpoint_best.pt``) atomically."""
        g = {"generator": self.generator.state_dict(), "step": self.step}
        _save_torch(g, os.path.join(self.run_dir, LAST_NAME))
        if is_best:
            _save_torch(g, os.path.join(self.run_dir, BEST_NAME))
        _save_torch(self.state_dict(), os.path.join(self.run_dir, STATE_NAME))

    # ------------------------------------------------------------------- steps
    def _dur_loss(self, batch) -> torch.Tensor:
        preds = predict_log_durations(self.generator, [r.to(self.device) for r in batch["reduced"]])
        pred = torch.cat(preds)
        durs = torch.cat([d.to(self.device) for d in batch["durations"]])
        return duration_loss(pred, durs)

    def train_step(self, batch: Mapping[str, Any]) -> Dict[str, float]:
        """One discriminator + one generator update on a batch from :meth:`UnitWaveDataset.batch`.

        Returns:
            float losses: ``g_total``, ``mel`` (unweighted L1), ``dur``, and once the
            discriminators are on (``step >= disc_start_step``) ``adv``, ``fm``, ``d_total``,
            ``d_mpd``, ``d_msd``.
        """
        c = self.cfg
        x = batch["code"].to(self.device)
        y = batch["audio"].to(self.device)
        self.generator.train()
        y_hat = self.generator(code=x)
        out: Dict[str, float] = {}
        use_d = self.step >= int(c["disc_start_step"])

        if use_d:
            self.optim_d.zero_grad(set_to_none=True)
            r, f, _, _ = self.mpd(y, y_hat.detach())
            d_mpd = discriminator_loss(r, f)
            r, f, _, _ = self.msd(y, y_hat.detach())
            d_msd = discriminator_loss(r, f)
            d_total = d_mpd + d_msd
            d_total.backward()
            self.optim_d.step()
            out.update(d_total=d_total.item(), d_mpd=d_mpd.item(), d_msd=d_msd.item())

        self.optim_g.zero_grad(set_to_none=True)
        mel = self.mel_loss(y_hat, y)
        g_total = float(c["lambda_mel"]) * mel
        if self.has_dur and float(c["lambda_dur"]) > 0:
            dur = self._dur_loss(batch)
            g_total = g_total + float(c["lambda_dur"]) * dur
            out["dur"] = dur.item()
        if use_d:
            r_p, f_p, rm_p, fm_p = self.mpd(y, y_hat)
            r_s, f_s, rm_s, fm_s = self.msd(y, y_hat)
            adv = generator_adversarial_loss(f_p) + generator_adversarial_loss(f_s)
            fm = feature_matching_loss(rm_p, fm_p) + feature_matching_loss(rm_s, fm_s)
            g_total = g_total + float(c["lambda_adv"]) * adv + float(c["lambda_fm"]) * fm
            out.update(adv=adv.item(), fm=fm.item())
        if not torch.isfinite(g_total):
            raise FloatingPointError(f"non-finite generator loss at step {self.step}: {out}")
        g_total.backward()
        self.optim_g.step()
        out.update(g_total=g_total.item(), mel=mel.item())
        return out

    @torch.no_grad()
    def validate(self) -> Dict[str, float]:
        """Dev-set metrics on the first ``valid_max_utts`` utterances (whole utterances).

        Returns:
            ``mel_l1`` (log-mel L1 with ground-truth durations), and with a duration
            predictor ``dur_mse`` (on ``log(d + 1)``) and ``dur_len_err`` (mean relative error
            of the predicted total length). Also logs TensorBoard audio.
        """
        g = self.generator
        g.eval()
        mel_sum, dur_sum, len_err, n = 0.0, 0.0, 0.0, 0
        n_audio = int(self.cfg["tb_audio_utts"])
        try:
            for i in range(len(self.valid_set)):
                frames = self.valid_set.frames(i).to(self.device)
                y = self.valid_set.audio(i).to(self.device).view(1, 1, -1)
                y_hat = g(code=frames.view(1, -1))
                mel_sum += float(self.mel_loss(y_hat, y))
                item = self.valid_set.items[i]
                if self.has_dur:
                    red = torch.from_numpy(item.reduced).to(self.device)
                    durs = torch.from_numpy(item.durations).to(self.device)
                    log_d = predict_log_durations(g, [red])[0]
                    dur_sum += float(duration_loss(log_d, durs))
                    pred = torch.clamp(torch.round(torch.exp(log_d) - 1).long(), min=1)
                    len_err += abs(float(pred.sum()) - float(durs.sum())) / float(durs.sum())
                if self.writer is not None and i < n_audio:
                    sr = int(self.cfg["sampling_rate"])
                    self.writer.add_audio(f"dev_{i}/gt_durations", y_hat.view(-1).cpu(), self.step, sample_rate=sr)
                    if self.has_dur:
                        y_pd = g(code=red.view(1, -1), dur_prediction=True)
                        self.writer.add_audio(f"dev_{i}/predicted_durations", y_pd.view(-1).cpu(), self.step,
                                              sample_rate=sr)
                    if not self._audio_refs_logged:
                        self.writer.add_audio(f"dev_{i}/reference", y.view(-1).cpu(), self.step, sample_rate=sr)
                n += 1
        finally:
            g.train()
        self._audio_refs_logged = True
        res = {"mel_l1": mel_sum / max(1, n)}
        if self.has_dur:
            res.update(dur_mse=dur_sum / max(1, n), dur_len_err=len_err / max(1, n))
        return res

    def _log_scalars(self, prefix: str, values: Mapping[str, float]) -> None:
        if self.writer is None:
            return
        for k, v in values.items():
            self.writer.add_scalar(f"{prefix}/{k}", v, self.step)

    def _validate_and_save(self) -> Dict[str, float]:
        t0 = time.time()
        res = self.validate()
        is_best = res["mel_l1"] < self.best_valid
        if is_best:
            self.best_valid = res["mel_l1"]
        self._log_scalars("valid", res)
        self.save(is_best=is_best)
        if self.writer is not None:
            self.writer.flush()
        msg = " ".join(f"{k} {v:.4f}" for k, v in res.items())
        logger.info(f"valid step {self.step} | {msg} | best mel_l1 {self.best_valid:.4f}"
                    f"{' (new best)' if is_best else ''} | {time.time() - t0:.1f}s, checkpoint saved")
        return res

    # -------------------------------------------------------------------- loop
    def train(self, max_steps: Optional[int] = None, max_minutes: Optional[float] = None) -> Dict[str, Any]:
        """Train until ``max_steps`` total steps or ``max_minutes`` of wall clock in this call.

        Validates + saves every ``valid_interval`` steps, saves every ``checkpoint_interval``
        steps, and always validates + saves when stopping (also on Ctrl-C / SIGTERM; other
        exceptions propagate without saving, leaving the last checkpoint in place).

        Raises:
            FloatingPointError: the generator loss became NaN / infinite.

        Returns:
            ``{"step", "steps_run", "seconds", "steps_per_s", "last_losses", "valid"}``.
        """
        c = self.cfg
        t_start = time.time()
        deadline = t_start + 60.0 * max_minutes if max_minutes else None
        steps_run, last, valid = 0, {}, {}
        t_log, n_log, sums = time.time(), 0, {}
        logger.info(
            f"training from step {self.step}: {len(self.train_set)} train utts, batch {c['batch_size']} x "
            f"{c['segment_size']} samples, {self.schedule.steps_per_epoch} steps/epoch, device {self.device}, "
            f"{torch.get_num_threads()} threads, G {_n_params(self.generator) / 1e6:.2f}M params, "
            f"D {(_n_params(self.mpd) + _n_params(self.msd)) / 1e6:.2f}M params"
        )
        try:
            while (max_steps is None or self.step < max_steps) and (deadline is None or time.time() < deadline):
                batch = self.train_set.batch(self.schedule.indices(self.step), self.schedule.crop_rng(self.step))
                last = self.train_step(batch)
                epoch_before = self.schedule.epoch(self.step)
                self.step += 1
                steps_run += 1
                if self.schedule.epoch(self.step) > epoch_before:
                    self.sched_g.step()
                    self.sched_d.step()
                for k, v in last.items():
                    sums[k] = sums.get(k, 0.0) + v
                n_log += 1
                if self.step % int(c["log_interval"]) == 0:
                    dt = time.time() - t_log
                    avg = {k: v / n_log for k, v in sums.items()}
                    rate = n_log / max(dt, 1e-9)
                    self._log_scalars("train", avg)
                    self._log_scalars("train", {"lr": self.optim_g.param_groups[0]["lr"], "steps_per_s": rate})
                    logger.info(_progress_line(self.step, self.schedule.epoch(self.step), avg,
                                               self.optim_g.param_groups[0]["lr"], rate))
                    t_log, n_log, sums = time.time(), 0, {}
                if self.step % int(c["valid_interval"]) == 0:
                    valid = self._validate_and_save()
                elif self.step % int(c["checkpoint_interval"]) == 0:
                    self.save()
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM (see main): keep the work done so far
            logger.warning(f"interrupted at step {self.step}: saving a checkpoint before exiting")
        seconds = time.time() - t_start
        self.train_seconds += seconds
        if steps_run and self.step % int(c["valid_interval"]) != 0:
            valid = self._validate_and_save()
        if self.writer is not None:
            self.writer.flush()
        rate = steps_run / max(seconds, 1e-9)
        logger.info(f"stopped at step {self.step}: {steps_run} steps in {seconds:.0f}s ({rate:.3f} steps/s)")
        return {"step": self.step, "steps_run": steps_run, "seconds": seconds, "steps_per_s": rate,
                "last_losses": last, "valid": valid}

    def close(self) -> None:
        """Close the TensorBoard writer."""
        if self.writer is not None:
            self.writer.close()


def _n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def _progress_line(step: int, epoch: int, avg: Mapping[str, float], lr: float, rate: float) -> str:
    order = ["g_total", "mel", "dur", "adv", "fm", "d_total"]
    parts = [f"{k} {avg[k]:.3f}" for k in order if k in avg]
    return f"step {step} ep {epoch} | " + " ".join(parts) + f" | lr {lr:.2e} | {rate:.2f} steps/s"


# ------------------------------------------------------------------------------- CLI


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m ctc_unity.vocoder.train`` argument parser."""
    p = argparse.ArgumentParser(description="Train a CodeHiFiGAN unit vocoder (HiFi-GAN / speech-resynthesis).")
    p.add_argument("--data", required=True, help="prepared data folder (units/, simuleval/)")
    p.add_argument("--config", default=None, help="config JSON (configs/vocoder_cpu.json, configs/vocoder_paper.json)")
    p.add_argument("--run-dir", required=True, help="output directory (checkpoints, config.json, tb/)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda[:i]")
    p.add_argument("--max-steps", type=int, default=None, help="stop at this total step count")
    p.add_argument("--max-minutes", type=float, default=None, help="wall-clock budget of this invocation")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--resume", dest="resume", action="store_true", default=None,
                   help="resume from RUN/training_state.pt (default: automatic if it exists)")
    g.add_argument("--no-resume", dest="resume", action="store_false", help="fail if a training state exists")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config entry (JSON value), e.g. --set batch_size=8")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    p.add_argument("--max-train-items", type=int, default=None, help="use only the first N train utterances")
    p.add_argument("--no-tensorboard", action="store_true")
    return p


def main(argv: Optional[List[str]] = None) -> Dict[str, Any]:
    """Command-line entry point; returns the :meth:`VocoderTrainer.train` summary.

    Resumes automatically when ``RUN/training_state.pt`` exists (then the run's own
    ``config.json`` is used, plus ``--set`` overrides; an architecture change is refused).
    SIGTERM is turned into a checkpoint-and-exit, like Ctrl-C.

    Raises:
        SystemExit: bad arguments or an architecture mismatch with the run directory.
    """
    args = build_parser().parse_args(argv)
    import signal

    def _on_term(signum, frame):  # let train() save a checkpoint, as on Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _on_term)
    logging.basicConfig(level=logging.INFO, format="[vocoder] %(asctime)s %(message)s", datefmt="%H:%M:%S",
                        stream=sys.stdout)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    n_units = data_n_units(args.data)
    saved = os.path.join(args.run_dir, CONFIG_NAME)
    resuming = args.resume is not False and os.path.isfile(os.path.join(args.run_dir, STATE_NAME))
    if resuming and os.path.isfile(saved):
        # the run's own config wins (architecture must match --config, checked by the trainer)
        new_cfg = load_config(args.config, args.overrides, n_units)
        with open(saved, encoding="utf-8") as fh:
            cfg = dict(json.load(fh))
        if _arch(cfg) != _arch(new_cfg):
            diff = {k: (cfg.get(k), new_cfg.get(k)) for k in ARCH_KEYS if cfg.get(k) != new_cfg.get(k)}
            raise SystemExit(f"{args.run_dir}: saved architecture differs from {args.config} (saved, new): {diff}")
        for o in args.overrides:
            k, v = parse_override(o)
            cfg[k] = v
    else:
        cfg = load_config(args.config, args.overrides, n_units)
    trainer = VocoderTrainer(cfg, args.data, args.run_dir, device=device, resume=args.resume,
                             max_train_items=args.max_train_items, tensorboard=not args.no_tensorboard)
    try:
        return trainer.train(max_steps=args.max_steps, max_minutes=args.max_minutes)
    finally:
        trainer.close()


if __name__ == "__main__":
    main()
