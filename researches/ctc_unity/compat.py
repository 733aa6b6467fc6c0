"""Compatibility shims that let fairseq 0.12 run on torch 2.11 / Python 3.11.

Applied once, on import (idempotent). See the package docstring for why.
"""
import argparse
import importlib
import logging
import sys

import torch


def apply() -> None:
    """Register ``argparse.Namespace`` as a safe torch.load global and alias ``examples``.

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


apply()
