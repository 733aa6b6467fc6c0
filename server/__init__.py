"""EchoStream's live server: simultaneous speech-to-speech translation over a WebSocket.

One process loads the model, the vocoder and Silero VAD once (:mod:`server.engine`); every
``/v1/s2st`` connection owns a :class:`ctc_unity.streaming.StreamingSession` driven by a
:class:`ctc_unity.streaming.vad.UtteranceStream` (:mod:`server.connection`); the protocol, its
schemas and close codes are in :mod:`server.protocol` (documented in ``docs/protocol.md``);
``python -m server`` / ``bash serve.sh`` start it, ``echostream-client`` (:mod:`server.client`)
streams a recording to it.
"""
