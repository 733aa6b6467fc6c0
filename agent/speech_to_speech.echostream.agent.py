"""EchoStream SimulEval agent: simultaneous speech-to-speech translation (French speech -> English speech).

    simuleval --agent agent/speech_to_speech.echostream.agent.py --model-path CKPT --source-segment-size 320 \
        --source data/embedded/s2st/simuleval/test/wav_list.txt --target data/embedded/s2st/simuleval/test/target.txt \
        --output OUT [--policy alignment|word|wait-k]
"""
from simuleval.agents import SpeechToSpeechAgent  # noqa: E402
from simuleval.utils import entrypoint  # noqa: E402

from agent.simuleval_base import echostream_agent_class  # noqa: E402

EchoStreamS2STAgent = entrypoint(echostream_agent_class(SpeechToSpeechAgent, "s2st", "EchoStreamS2STAgent"))
