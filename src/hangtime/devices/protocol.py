"""The Hangtime table protocol, version 1: line frames with a sequence number and a CRC (docs/table-protocol.md).

A frame is ASCII: `<seq> <VERB> [key=value ...] *<crc>\\n`, where crc is CRC-16/CCITT (binascii.crc_hqx, initial
value 0xFFFF) over the bytes before ` *`, as 4 upper-case hex digits. Pure: no I/O.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass, field
from enum import IntEnum

PROTOCOL_VERSION = 1
MAX_FRAME = 256


class ErrorCode(IntEnum):
    BAD_CHECKSUM = 1
    BAD_FRAME = 2
    UNKNOWN_COMMAND = 3
    OUT_OF_RANGE = 4
    ESTOP_LATCHED = 5
    NOT_LOCKED = 6
    OVERLOAD = 7
    DRIVE_FAULT = 8
    UNSUPPORTED_VERSION = 9
    NOT_READY = 10


HOST_VERBS = frozenset({"HELLO", "ID", "STATUS", "MOVE", "HOLD", "RETURN", "ESTOP", "RESET", "HB"})
DEVICE_VERBS = frozenset({"OK", "ERR", "EVT"})


class FrameError(ValueError):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Frame:
    seq: int
    verb: str
    fields: dict[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()

    def number(self, key: str) -> float:
        try:
            return float(self.fields[key])
        except (KeyError, ValueError):
            raise FrameError(ErrorCode.BAD_FRAME, f"{self.verb}: '{key}' must be a number") from None


def crc(data: bytes) -> str:
    return f"{binascii.crc_hqx(data, 0xFFFF):04X}"


def encode(seq: int, verb: str, *args: str, **fields: object) -> bytes:
    parts = [str(seq % 100000), verb, *args, *(f"{k}={_text(v)}" for k, v in fields.items())]
    body = " ".join(parts).encode("ascii")
    return body + b" *" + crc(body).encode("ascii") + b"\n"


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


_TOKEN = re.compile(r"^[A-Za-z0-9_.:+\-/]+$")


def decode(line: bytes) -> Frame:
    """Parse one frame (without or with its newline); raises FrameError with the protocol's error code."""
    if len(line) > MAX_FRAME:
        raise FrameError(ErrorCode.BAD_FRAME, "frame too long")
    text = line.rstrip(b"\r\n")
    body, sep, check = text.rpartition(b" *")
    if not sep:
        raise FrameError(ErrorCode.BAD_FRAME, "no checksum")
    try:
        expected = crc(body)
    except (TypeError, ValueError):
        raise FrameError(ErrorCode.BAD_FRAME, "unreadable frame") from None
    if check.decode("ascii", "replace").upper() != expected:
        raise FrameError(ErrorCode.BAD_CHECKSUM, "checksum mismatch")
    try:
        tokens = body.decode("ascii").split()
    except UnicodeDecodeError:
        raise FrameError(ErrorCode.BAD_FRAME, "not ASCII") from None
    if len(tokens) < 2 or not tokens[0].isdigit():
        raise FrameError(ErrorCode.BAD_FRAME, "a frame starts with a sequence number and a verb")
    seq, verb, rest = int(tokens[0]), tokens[1].upper(), tokens[2:]
    fields: dict[str, str] = {}
    args: list[str] = []
    for token in rest:
        if not _TOKEN.match(token.replace("=", "")):
            raise FrameError(ErrorCode.BAD_FRAME, f"bad token '{token}'")
        key, eq, value = token.partition("=")
        if eq:
            fields[key] = value
        else:
            args.append(token)
    return Frame(seq, verb, fields, tuple(args))
