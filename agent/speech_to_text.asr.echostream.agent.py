"""EchoStream SimulEval agent: streaming ASR (French speech -> French text) from the ASR-CTC head.

    simuleval --agent agent/speech_to_text.asr.echostream.agent.py --model-path CKPT --source-segment-size 320 \
        --source data/embedded/s2st/simuleval/test/wav_list.txt --target data/embedded/s2st/simuleval/test/target.txt \
        --output OUT [--policy alignment|word|wait-k]
"""
from simuleval.agents import SpeechToTextAgent  # noqa: E402
from simuleval.utils import entrypoint  # noqa: E402

from agent.simuleval_base import echostream_agent_class  # noqa: E402

EchoStreamASRAgent = entrypoint(echostream_agent_class(SpeechToTextAgent, "asr", "EchoStreamASRAgent"))
