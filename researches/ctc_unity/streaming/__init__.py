"""Streaming inference: one :class:`StreamingSession` per stream over a shared :class:`StreamingModel`.

See :mod:`.session` for the loop, :mod:`.translator` for the bounded incremental state,
:mod:`.policies` for READ/WRITE policies, :mod:`.speech` for the vocoder drain and playout.
"""
from .features import OnlineFbank
from .loading import StreamingModel, resolve_vocoder
from .policies import DEFAULT_POLICY, POLICIES, Policy, PolicyView, build_policy
from .session import OUTPUTS, SessionOptions, StepResult, StreamingSession

__all__ = ["OnlineFbank", "StreamingModel", "resolve_vocoder", "DEFAULT_POLICY", "POLICIES", "Policy", "PolicyView",
           "build_policy", "OUTPUTS", "SessionOptions", "StepResult", "StreamingSession"]
