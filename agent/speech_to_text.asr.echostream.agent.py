"""EchoStream SimulEval agent: streaming ASR (source speech -> source transcript) from the ASR-CTC head.

    simuleval --agent agent/speech_to_text.asr.echostream.agent.py --model-path CKPT --source-segment-size 320 \
        --source data/embedded/s2st/simuleval/test/wav_list.txt --target data/embedded/s2st/simuleval/test/target.txt \
        --output OUT [--policy word|alignment|wait-k]

The agent is :class:`agent.simuleval_agents.EchoStreamASRAgent` (an adapter over ctc_unity.streaming.StreamingSession).
"""
from simuleval.utils import entrypoint

from agent.simuleval_agents import EchoStreamASRAgent

entrypoint(EchoStreamASRAgent)
