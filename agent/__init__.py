"""EchoStream SimulEval agents, streaming inference core and live demo.

Agent entry files (``speech_to_speech.echostream.agent.py`` ...) are loaded by path by
``simuleval --agent``; the shared code lives in the importable modules of this package.
"""
