"""EchoStream front ends over :class:`ctc_unity.streaming.StreamingSession`: SimulEval agents and the file demo.

Agent entry files (``speech_to_speech.echostream.agent.py`` ...) are loaded by path by
``simuleval --agent``; the adapters live in :mod:`agent.simuleval_agents`, the demo in
:mod:`agent.demo`.
"""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# where train_vocoder.sh leaves the default CodeHiFiGAN (searched by resolve_vocoder after <data>/vocoder)
TRAINED_VOCODER_RUNS = (os.path.join(ROOT, "runs", "vocoder_cpu"),)
