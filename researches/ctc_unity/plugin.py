"""Load the EchoStream fairseq plugin under its canonical module name ``ctc_unity``."""
import os
from argparse import Namespace

USER_DIR = os.path.dirname(os.path.abspath(__file__))


def load():
    """Import the plugin exactly as ``fairseq-train --user-dir researches/ctc_unity`` does.

    Returns:
        module: the ``ctc_unity`` package (registrations done once, later calls are no-ops).
    """
    import importlib

    from fairseq.utils import import_user_module

    import_user_module(Namespace(user_dir=USER_DIR))
    return importlib.import_module("ctc_unity")
