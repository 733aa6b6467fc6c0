"""Criteria of the EchoStream plugin (imported so that they register)."""
from . import speech_to_unit_2pass_ctc_asr_st  # noqa: F401
