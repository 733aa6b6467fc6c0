"""Models of the EchoStream plugin (fairseq also auto-imports every file here)."""
from . import echostream  # noqa: F401
from . import streamspeech  # noqa: F401
