"""The EchoStream live protocol (``echostream.s2st.v1``): messages, JSON schemas, error codes.

``docs/protocol.md`` documents it; the tests validate every message the server sends against
:data:`SCHEMAS` (with ``jsonschema``), and the server validates what the client sends with the
same schemas. ``python -m server.protocol`` prints the schemas as one JSON document.
"""
import json
from dataclasses import dataclass
from typing import Dict, Optional

PROTOCOL = "echostream.s2st.v1"
VERSION = 1
ENCODINGS = ("pcm_s16le", "f32le")
OUTPUTS = ("asr", "text", "speech")  # protocol names; the session calls them source/text/speech
SPEECH_ENCODING = "pcm_s16le"
SPEECH_RATE = 16000


@dataclass(frozen=True)
class ErrorCode:
    """A typed failure: the ``error`` message's ``code`` is the WebSocket close code."""

    code: int
    name: str
    description: str


_CODES = [
    ErrorCode(4001, "malformed_json", "a text frame that is not a JSON object with a string `type`"),
    ErrorCode(4002, "unknown_type", "a JSON message whose `type` the protocol does not have"),
    ErrorCode(4003, "invalid_state", "audio, `flush` or `end` before `start`, or anything after `end`"),
    ErrorCode(4004, "already_started", "a second `start`"),
    ErrorCode(4005, "invalid_message", "a message that does not match its schema (bad `start` options ...)"),
    ErrorCode(4006, "unsupported_encoding", "`start.audio.encoding` is not `pcm_s16le` or `f32le`"),
    ErrorCode(4007, "bad_audio_frame", "a binary frame that is not whole samples (odd-length PCM, f32 not a multiple of 4)"),
    ErrorCode(4008, "non_finite_samples", "f32le samples that are NaN or infinite"),
    ErrorCode(4009, "empty_frame", "an empty binary frame"),
    ErrorCode(4010, "message_too_big", "a frame larger than `limits.max_message_bytes` (frames past 4x that are refused by the transport with 1009)"),
    ErrorCode(4011, "unauthorized", "missing or wrong bearer token (refused at the handshake: HTTP 401)"),
    ErrorCode(4012, "origin_not_allowed", "the `Origin` header is not allowed (refused at the handshake: HTTP 403)"),
    ErrorCode(4013, "too_many_sessions", "`--max-sessions` reached (refused at the handshake: HTTP 503)"),
    ErrorCode(4014, "idle_timeout", "no message from the client for `limits.idle_timeout_s`"),
    ErrorCode(4015, "backlog_overflow", "the input backlog passed `limits.max_backlog_ms` with the `close` backlog policy"),
    ErrorCode(4016, "slow_consumer", "the client does not read its results: more than `limits.max_outbound_bytes` queued, or a send stalled for `limits.send_timeout_s`"),
    ErrorCode(4017, "server_shutdown", "the server is shutting down"),
    ErrorCode(1011, "internal_error", "an unexpected server failure (the message says which)"),
]
ERRORS: Dict[str, ErrorCode] = {c.name: c for c in _CODES}


class ProtocolError(Exception):
    """A failure of the connection with its typed :class:`ErrorCode` (closes the connection)."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.error = ERRORS[name]
        self.message = message


def error_message(name: str, message: str) -> dict:
    e = ERRORS[name]
    return {"type": "error", "code": e.code, "name": e.name, "message": message, "fatal": True}


# ---------------------------------------------------------------------------------------- schemas
_num = {"type": "number", "minimum": 0}
_words = {"type": "array", "items": {"type": "string"}}


def _msg(type_: str, props: dict, required=(), extra: bool = False) -> dict:
    return {"type": "object", "properties": {"type": {"const": type_}, **props},
            "required": ["type", *required], "additionalProperties": extra}


_vad_options = {
    "oneOf": [
        {"type": "boolean"},
        {"type": "object", "additionalProperties": False, "properties": {
            "enabled": {"type": "boolean"},
            "threshold": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "min_silence_ms": {"type": "number", "minimum": 100, "maximum": 5000},
            "speech_pad_ms": {"type": "number", "minimum": 0, "maximum": 1000},
            "max_utterance_ms": {"type": "number", "minimum": 1000, "maximum": 60000}}},
    ]}

CLIENT_SCHEMAS = {
    "start": _msg("start", {
        "version": {"const": VERSION},
        "audio": {"type": "object", "additionalProperties": False, "required": ["encoding", "sample_rate"],
                  "properties": {"encoding": {"type": "string"},
                                 "sample_rate": {"type": "integer", "minimum": 8000, "maximum": 192000},
                                 "channels": {"const": 1}}},
        "policy": {"type": "string"},
        "segment_ms": {"type": "integer", "minimum": 40, "maximum": 2000, "multipleOf": 40},
        "outputs": {"type": "array", "items": {"enum": list(OUTPUTS)}, "uniqueItems": True, "minItems": 1},
        "vad": _vad_options,
        "min_start_ms": {"type": "number", "minimum": 0, "maximum": 5000},
        "vocoder_drain": {"enum": ["auto", "underrun", "always", "never"]},
    }, required=["audio"]),
    "flush": _msg("flush", {"id": {"type": ["string", "integer"]}}),
    "end": _msg("end", {}),
}

_limits = {"type": "object"}
SERVER_SCHEMAS = {
    "ready": _msg("ready", {"protocol": {"const": PROTOCOL}, "session_id": {"type": "string"},
                            "options": {"type": "object"}, "limits": _limits},
                  required=["protocol", "session_id", "options", "limits"]),
    "asr": _msg("asr", {"utterance": {"type": "integer", "minimum": 0}, "words": _words, "text": {"type": "string"},
                        "final": {"type": "boolean"}, "source_ms": _num},
                required=["utterance", "words", "text", "final", "source_ms"]),
    "translation": _msg("translation", {"utterance": {"type": "integer", "minimum": 0}, "words": _words,
                                        "text": {"type": "string"}, "final": {"type": "boolean"},
                                        "source_ms": _num},
                        required=["utterance", "words", "text", "final", "source_ms"]),
    "speech": _msg("speech", {"seq": {"type": "integer", "minimum": 0}, "utterance": {"type": "integer", "minimum": 0},
                              "source_ms": _num, "samples": {"type": "integer", "minimum": 1},
                              "sample_rate": {"const": SPEECH_RATE}, "encoding": {"const": SPEECH_ENCODING}},
                   required=["seq", "utterance", "source_ms", "samples", "sample_rate", "encoding"]),
    "vad": _msg("vad", {"event": {"enum": ["start", "end"]}, "utterance": {"type": "integer", "minimum": 0},
                        "source_ms": _num, "reason": {"enum": ["silence", "max_length", "flush", "end"]}},
                required=["event", "utterance", "source_ms"]),
    "stats": _msg("stats", {"received_ms": _num, "processed_ms": _num, "backlog_ms": _num, "dropped_ms": _num,
                            "compute_ms": _num, "rtf": _num, "speech_ms": _num, "utterances": {"type": "integer"},
                            "queued_out_bytes": {"type": "integer", "minimum": 0}},
                  required=["received_ms", "processed_ms", "backlog_ms", "dropped_ms", "rtf"]),
    "warning": _msg("warning", {"code": {"enum": ["lagging", "dropped"]}, "message": {"type": "string"},
                                "backlog_ms": _num, "dropped_ms": _num}, required=["code", "message"]),
    "error": _msg("error", {"code": {"enum": sorted({c.code for c in _CODES})},
                            "name": {"enum": list(ERRORS)}, "message": {"type": "string"},
                            "fatal": {"type": "boolean"}}, required=["code", "name", "message", "fatal"]),
    "flushed": _msg("flushed", {"id": {"type": ["string", "integer"]}, "processed_ms": _num},
                    required=["processed_ms"]),
    "done": _msg("done", {"summary": {"type": "object", "required": [
        "received_ms", "processed_ms", "dropped_ms", "utterances", "asr", "translation", "speech_ms", "rtf"]}},
        required=["summary"]),
}
SCHEMAS = {"client": CLIENT_SCHEMAS, "server": SERVER_SCHEMAS}


class Validator:
    """Validates messages against :data:`SCHEMAS` with ``jsonschema`` (compiled once)."""

    def __init__(self):
        from jsonschema import Draft202012Validator

        self._v = {side: {t: Draft202012Validator(s) for t, s in schemas.items()} for side, schemas in SCHEMAS.items()}

    def errors(self, message: dict, side: str = "client") -> Optional[str]:
        """None when ``message`` is valid, else a one-line description of the first problem."""
        v = self._v[side].get(message.get("type"))
        if v is None:
            return f"unknown message type {message.get('type')!r}"
        for err in sorted(v.iter_errors(message), key=lambda e: list(e.path)):
            where = ".".join(str(p) for p in err.path) or "message"
            return f"{message['type']}.{where}: {err.message}" if where != "message" else f"{message['type']}: {err.message}"
        return None


if __name__ == "__main__":
    print(json.dumps({"protocol": PROTOCOL, **SCHEMAS,
                      "errors": {c.name: {"code": c.code, "description": c.description} for c in _CODES}}, indent=2))
