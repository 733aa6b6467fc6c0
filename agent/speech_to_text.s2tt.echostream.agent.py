"""EchoStream SimulEval agent: simultaneous speech-to-text translation (source speech -> English text).

    simuleval --agent agent/speech_to_text.s2tt.echostream.agent.py --model-path CKPT --source-segment-size 320 \
        --source data/embedded/s2st/simuleval/test/wav_list.txt --target data/embedded/s2st/simuleval/test/target.txt \
        --output OUT [--policy word|alignment|wait-k]

The agent is :class:`agent.simuleval_agents.EchoStreamS2TTAgent` (an adapter over ctc_unity.streaming.StreamingSession).
"""
from simuleval.utils import entrypoint

from agent.simuleval_agents import EchoStreamS2TTAgent

entrypoint(EchoStreamS2TTAgent)
