"""Compatibility shims that let fairseq 0.12 run on torch 2.11 / Python 3.11.

Applied once, on import (idempotent). See the package docstring for why.
"""
import argparse
import importlib
import logging
import sys

import torch


def apply() -> None:
    """Register ``argparse.Namespace`` as a safe torch.load global, alias ``examples`` and let
    fairseq's distributed training run on CPU (:func:`_patch_distributed_for_cpu`).

    Safe to call several times.
    """
    torch.serialization.add_safe_globals([argparse.Namespace])
    # fairseq's TTS task logs "Please install tensorboardX" at import (it is unused here): keep CLI output clean
    logging.getLogger("fairseq.tasks.text_to_speech").setLevel(logging.WARNING)
    if "examples" not in sys.modules:
        try:
            sys.modules["examples"] = importlib.import_module("fairseq.examples")
        except ImportError:  # fairseq built without its examples: nothing to alias
            pass
    _patch_distributed_for_cpu()


def _patch_distributed_for_cpu() -> None:
    """Let fairseq's own distributed training run on CPU (gloo) under ``torchrun``.

    fairseq 0.12 assumes CUDA in two places a CPU run reaches (measured in
    ``shared/facts/fairseq-distributed-on-cpu.md``):

    * ``_infer_torch_distributed_launch_init`` (the ``torchrun`` / ``torch.distributed.launch``
      path) computes ``device_id = rank % torch.cuda.device_count()`` -> ``ZeroDivisionError``
      without a GPU. Patched: ``device_id`` is ``LOCAL_RANK`` when torchrun sets it (what that
      formula means on homogeneous GPU nodes), else the formula, and 0 without a GPU.
    * ``all_gather_list`` (used by the trainer to gather logging outputs when the criterion's
      ``logging_outputs_can_be_summed()`` is False, as EchoStream's is) stages data in CUDA
      buffers -> ``Found no NVIDIA driver``. Patched: without CUDA, the gather goes through
      ``torch.distributed.all_gather_object`` (any backend; same result: the list of every
      rank's data, in rank order). With CUDA the original runs unchanged.

    One more, on any device: ``_broadcast_object_slow`` (rank 0 loads a checkpoint -- resuming,
    ``--finetune-from-model`` -- and broadcasts it) unpickles with torch >= 2.6's default
    ``weights_only=True``, which refuses the ``omegaconf`` config inside fairseq checkpoints
    (``UnpicklingError`` on every rank but 0). Patched: the same function with
    ``weights_only=False`` (the bytes come from rank 0 of the same job, which read the file).

    Idempotent. Nothing changes for single-process runs.
    """
    try:
        from fairseq.distributed import utils as dist_utils
    except ImportError:  # fairseq absent (e.g. a light data-only import)
        return
    if getattr(dist_utils, "_echostream_cpu_patch", False):
        return
    import os

    orig_gather = dist_utils.all_gather_list

    def _infer_torch_distributed_launch_init(cfg):
        cfg.distributed_init_method = "env://"
        cfg.distributed_world_size = int(os.environ["WORLD_SIZE"])
        cfg.distributed_rank = int(os.environ["RANK"])
        n_gpus = torch.cuda.device_count()
        if "LOCAL_RANK" in os.environ:
            cfg.device_id = int(os.environ["LOCAL_RANK"]) if n_gpus else 0
        else:
            cfg.device_id = cfg.distributed_rank % n_gpus if n_gpus else 0
        cfg.distributed_no_spawn = True  # processes are created by torchrun

    def all_gather_list(data, group=None, max_size=16384):
        if torch.cuda.is_available():
            return orig_gather(data, group=group, max_size=max_size)
        from fairseq import utils as fairseq_utils

        if group is None:
            group = dist_utils.get_global_group()
        out = [None] * dist_utils.get_world_size(group=group)
        torch.distributed.all_gather_object(out, fairseq_utils.move_to_cpu(data), group=group)
        return out

    def _broadcast_object_slow(obj, src_rank, group, dist_device):
        import io

        if dist_utils.get_rank(group) == src_rank:
            buffer = io.BytesIO()
            torch.save(obj, buffer)
            buffer = torch.ByteTensor(buffer.getbuffer()).to(dist_device)
            length = torch.LongTensor([len(buffer)]).to(dist_device)
            dist_utils.broadcast(length, src=src_rank, group=group)
            dist_utils.broadcast(buffer, src=src_rank, group=group)
        else:
            length = torch.LongTensor([0]).to(dist_device)
            dist_utils.broadcast(length, src=src_rank, group=group)
            buffer = torch.ByteTensor(int(length.item())).to(dist_device)
            dist_utils.broadcast(buffer, src=src_rank, group=group)
            obj = torch.load(io.BytesIO(buffer.cpu().numpy()), map_location="cpu", weights_only=False)
        return obj

    dist_utils._broadcast_object_slow = _broadcast_object_slow
    dist_utils._infer_torch_distributed_launch_init = _infer_torch_distributed_launch_init
    dist_utils.all_gather_list = all_gather_list
    dist_utils._echostream_cpu_patch = True


apply()
