"""Tasks of the EchoStream plugin."""
from . import speech_to_speech_ctc  # noqa: F401
