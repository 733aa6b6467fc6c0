"""EchoStream SimulEval agent: Streaming ASR (French speech -> French text) from the ASR-CTC head.

    simuleval --agent agent/speech_to_text.asr.echostream.agent.py --model-path CKPT \
        --source data/embedded/s2st/simuleval/test/wav_list.txt \
        --target data/embedded/s2st/simuleval/test/target.txt --source-segment-size 320 --output OUT

Shared logic: agent/simuleval_base.py (options: --policy alignment|word|wait-k, ...).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from simuleval.agents import SpeechToTextAgent  # noqa: E402
from simuleval.utils import entrypoint  # noqa: E402

from agent.simuleval_base import EchoStreamAgentMixin, add_echostream_args  # noqa: E402


@entrypoint
class EchoStreamASRAgent(EchoStreamAgentMixin, SpeechToTextAgent):
    """Streaming ASR (French speech -> French text) from the ASR-CTC head."""

    output_kind = "asr"

    def __init__(self, args):
        SpeechToTextAgent.__init__(self, args)
        self._setup(args)

    @staticmethod
    def add_args(parser):
        add_echostream_args(parser)
