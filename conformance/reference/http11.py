"""Strict HTTP/1.1 request framing for the reference service (RFC 9112), without I/O.

Only what a SOAP 1.1 client needs is accepted, and anything ambiguous is refused rather than
guessed at, because a lenient parser is how a request gets smuggled past a refusal: CRLF line
ends only, no obsolete line folding, no whitespace before a colon, one Content-Length of
digits only, never both Content-Length and Transfer-Encoding, and ``chunked`` as the only
transfer coding. Each refusal is an :class:`HttpError` with the status the service answers
(docs/reference-service.md lists them) and a short reason of ours, never a library's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

MAX_REQUEST_LINE = 8 * 1024  # beyond: 414
MAX_HEAD_BYTES = 64 * 1024  # request line and headers; beyond: 413
MAX_HEADERS = 100  # beyond: 413
MAX_CHUNK_LINE = 1024  # a chunk-size line with its extensions; beyond: 400

_TCHAR = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
_TOKEN = _TCHAR + rb"+"
_METHOD = re.compile(_TOKEN)
_VERSION = re.compile(rb"HTTP/(\d)\.(\d)")
_TARGET = re.compile(rb"[\x21-\x7e]+")
_FIELD = re.compile(rb"(" + _TOKEN + rb"):[ \t]*(.*?)[ \t]*")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_DIGITS = re.compile(rb"[0-9]{1,15}")
# What an incomplete request line can still become: method, then target, then version.
_LINE_SO_FAR = re.compile(_TCHAR + rb"*(?: [\x21-\x7e]*(?: [HTP/0-9.]*)?)?\r?")
_BARE_LF = re.compile(rb"(?<!\r)\n")
_TLS_HANDSHAKE = 0x16  # the first byte of a TLS record carrying a ClientHello
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(;[\x09\x20-\x7e\x80-\xff]*)?")


class HttpError(Exception):
    """The request cannot be framed: answer ``status`` with ``reason``, then close."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.method = ""  # of the request line, once it was read (for the audit)
        self.path = ""


class BodyTooLarge(Exception):
    """The body is over the limit: a declared size, or chunks counted as they arrive."""


@dataclass
class RequestHead:
    method: str
    target: str
    path: str  # percent-decoded, as WSGI's PATH_INFO
    query: str
    version: str
    headers: dict[str, str]  # lower-case names; repeated fields joined with ", "
    content_length: int | None = None
    chunked: bool = False
    keep_alive: bool = True
    expect_continue: bool = False


def head_end(buffer: bytes | bytearray) -> int:
    """Offset just past the blank line ending the head, or -1 while it is incomplete.

    Raises :class:`HttpError` once the incomplete head is already over a size limit."""
    end = buffer.find(b"\r\n\r\n")
    if end >= 0:
        if end + 4 > MAX_HEAD_BYTES:
            raise HttpError(413, f"request head over {MAX_HEAD_BYTES} bytes")
        return end + 4
    if buffer.find(b"\r\n", 0, MAX_REQUEST_LINE + 2) < 0 and len(buffer) > MAX_REQUEST_LINE:
        raise HttpError(414, f"request line over {MAX_REQUEST_LINE} bytes")
    if len(buffer) > MAX_HEAD_BYTES:
        raise HttpError(413, f"request head over {MAX_HEAD_BYTES} bytes")
    _cannot_become_valid(buffer)
    return -1


def _cannot_become_valid(buffer: bytes | bytearray) -> None:
    """Refuse an incomplete head as soon as it cannot become valid, not at the head deadline:
    a client sending bare LF line ends, or TLS to the plain HTTP port, would wait for it."""
    if _BARE_LF.search(buffer):
        raise HttpError(400, "a line of the request head does not end in CRLF")
    line_end = buffer.find(b"\r\n")
    line = buffer[:line_end] if line_end >= 0 else buffer
    if not _LINE_SO_FAR.fullmatch(line):
        raise HttpError(400, _malformed_line(line))


def _malformed_line(line: bytes | bytearray) -> str:
    if line[:1] == bytes([_TLS_HANDSHAKE]):
        return "a TLS handshake, but this port serves plain HTTP"
    return "malformed request line"


def parse_head(raw: bytes) -> RequestHead:
    """The head ``raw`` (request line and fields, final blank line included)."""
    lines = raw[:-4].split(b"\r\n")
    if any(b"\r" in line or b"\n" in line for line in lines):
        raise HttpError(400, "a line of the request head does not end in CRLF")
    if len(lines[0]) > MAX_REQUEST_LINE:
        raise HttpError(414, f"request line over {MAX_REQUEST_LINE} bytes")
    if len(lines) - 1 > MAX_HEADERS:
        raise HttpError(413, f"more than {MAX_HEADERS} header fields")
    head = _request_line(lines[0])
    try:
        _fields(head, lines[1:])
    except HttpError as error:
        error.method, error.path = head.method, head.path
        raise
    return head


def _fields(head: RequestHead, lines: list[bytes]) -> None:
    for line in lines:
        match = _FIELD.fullmatch(line)
        if match is None:
            raise HttpError(400, "malformed header field")
        name, value = match.group(1).lower().decode("ascii"), match.group(2)
        if _BAD_VALUE.search(value):
            raise HttpError(400, f"control character in header field {name}")
        if name == "content-length" and name in head.headers:
            raise HttpError(400, "more than one Content-Length")
        text = value.decode("latin-1")
        head.headers[name] = f"{head.headers[name]}, {text}" if name in head.headers else text
    _framing(head)


def _request_line(line: bytes) -> RequestHead:
    parts = line.split(b" ")
    if len(parts) != 3 or not _METHOD.fullmatch(parts[0]) or not _TARGET.fullmatch(parts[1]):
        raise HttpError(400, _malformed_line(line))
    version = _VERSION.fullmatch(parts[2])
    if version is None:
        raise HttpError(400, "malformed HTTP version")
    if version.group(1) != b"1" or version.group(2) not in (b"0", b"1"):
        raise HttpError(505, "only HTTP/1.1 and HTTP/1.0 are served")
    target = parts[1].decode("ascii")
    path, _, query = target.partition("?")
    if path.startswith(("http://", "https://")):  # absolute form (RFC 9112 §3.2.2)
        path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
    decoded = unquote_to_bytes(path).decode("latin-1")
    return RequestHead(parts[0].decode("ascii"), target, decoded, query, parts[2].decode(), {})


def _framing(head: RequestHead) -> None:
    length = head.headers.get("content-length")
    coding = head.headers.get("transfer-encoding")
    if length is not None and coding is not None:
        raise HttpError(400, "both Content-Length and Transfer-Encoding")
    if coding is not None:
        if coding.strip().lower() != "chunked":
            raise HttpError(501, "the only transfer coding served is chunked")
        head.chunked = True
    if length is not None:
        if not _DIGITS.fullmatch(length.encode("latin-1")):
            raise HttpError(400, "Content-Length is not a number of bytes")
        head.content_length = int(length)
    tokens = {t.strip().lower() for t in head.headers.get("connection", "").split(",")}
    head.keep_alive = head.version == "HTTP/1.1" and "close" not in tokens
    head.expect_continue = head.headers.get("expect", "").strip().lower() == "100-continue"


@dataclass
class ChunkedBody:
    """Decodes a chunked body as it arrives; the decoded size is counted against ``limit``
    before a chunk is read, so a chunk announced over the limit is refused unread."""

    limit: int
    parts: list[bytes] = field(default_factory=list)
    size: int = 0
    done: bool = False
    _remaining: int = 0  # data bytes left in the current chunk
    _state: str = "size"  # size, data, crlf, trailer
    _trailers: int = 0

    def feed(self, buffer: bytearray) -> None:
        """Consume what ``buffer`` holds (it is emptied of the consumed bytes)."""
        while buffer and not self.done:
            if self._state == "size":
                line = self._line(buffer)
                if line is None:
                    return
                match = _CHUNK_SIZE.fullmatch(line)
                if match is None:
                    raise HttpError(400, "malformed chunk size")
                self._remaining = int(match.group(1), 16)
                if self.size + self._remaining > self.limit:
                    raise BodyTooLarge(f"chunked body exceeds the {self.limit}-byte limit")
                self._state = "data" if self._remaining else "trailer"
            elif self._state == "data":
                taken = bytes(buffer[: self._remaining])
                del buffer[: len(taken)]
                self.parts.append(taken)
                self.size += len(taken)
                self._remaining -= len(taken)
                if not self._remaining:
                    self._state = "crlf"
            elif self._state == "crlf":
                if buffer[:2] != b"\r\n"[: len(buffer)]:
                    raise HttpError(400, "chunk data not followed by CRLF")
                if len(buffer) < 2:
                    return
                del buffer[:2]
                self._state = "size"
            else:
                line = self._line(buffer)
                if line is None:
                    return
                if line == b"":
                    self.done = True
                elif _FIELD.fullmatch(line) is None:
                    raise HttpError(400, "malformed trailer field")
                else:
                    self._trailers += 1
                    if self._trailers > MAX_HEADERS:
                        raise HttpError(400, f"more than {MAX_HEADERS} trailer fields")

    @staticmethod
    def _line(buffer: bytearray) -> bytes | None:
        end = buffer.find(b"\r\n", 0, MAX_CHUNK_LINE + 2)
        if end < 0:
            if len(buffer) > MAX_CHUNK_LINE:
                raise HttpError(400, f"chunk line over {MAX_CHUNK_LINE} bytes")
            return None
        line = bytes(buffer[:end])
        del buffer[: end + 2]
        if b"\r" in line or b"\n" in line:
            raise HttpError(400, "a chunk line does not end in CRLF")
        return line

    def body(self) -> bytes:
        return b"".join(self.parts)
