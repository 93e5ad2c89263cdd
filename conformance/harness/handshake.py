"""Opening a connection: the TCP connect, then the TLS handshake driven by hand (non-blocking),
so the transport knows whether the server sent any byte before it closed or reset: only a server
that spoke TLS can have refused a handshake. Under TLS 1.3 the server's verdict on the client's
certificate comes after the handshake: it is awaited briefly here. Every failure is classified by
exception type, errno or OpenSSL reason code, and raised as a :class:`TransportFailure`.
"""

from __future__ import annotations

import os
import select
import socket
import ssl
import time

from conformance.exchange import (
    CLOSED,
    CONNECT_ERROR,
    CONNECT_REFUSED,
    CONNECT_TIMEOUT,
    DEADLINE,
    PHASE_CONNECT,
    PHASE_TLS,
    RESET,
    TLS_CLOSED,
    UNRESOLVED,
)
from conformance.harness import tls_reasons
from conformance.harness.connection import TransportFailure, silent_close

_VERDICT_WAIT = 0.25  # seconds a TLS 1.3 client waits for the server's word on its certificate


def connect(url: str, host: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection within ``timeout``; every failure classified by type and errno."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except ConnectionRefusedError:
        reason = f"connection refused to {url}"
        raise TransportFailure(CONNECT_REFUSED, PHASE_CONNECT, reason) from None
    except TimeoutError:
        reason = f"timeout: no connection to {url} within {timeout:g} s"
        raise TransportFailure(CONNECT_TIMEOUT, PHASE_CONNECT, reason) from None
    except ConnectionResetError:  # accepted, then reset at once
        reason = f"connection reset by {url} as it was opened"
        raise TransportFailure(RESET, PHASE_CONNECT, reason) from None
    except socket.gaierror:
        reason = f"cannot resolve the host of {url}"
        raise TransportFailure(UNRESOLVED, PHASE_CONNECT, reason) from None
    except OSError as exc:
        reason = f"connection to {url} failed: {os.strerror(exc.errno) if exc.errno else exc}"
        raise TransportFailure(CONNECT_ERROR, PHASE_CONNECT, reason) from None
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:  # ENOTCONN: accepted and reset at once
        sock.close()
        reason = f"connection reset by {url} as it was opened"
        raise TransportFailure(RESET, PHASE_CONNECT, reason) from None
    return sock


def handshake(
    sock: socket.socket,
    context: ssl.SSLContext,
    url: str,
    host: str,
    *,
    timeout: float,
    budget: float,
    has_certificate: bool,
) -> ssl.SSLSocket:
    """The TLS handshake within ``timeout``. A close or reset before the server sent any byte
    is no TLS refusal (``reset``/``closed``); after it, with no alert, it is ``tls-closed``."""
    deadline = time.monotonic() + timeout
    try:
        tls = context.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
    except OSError:  # reset between connect and the first TLS byte (wrap_socket checks)
        sock.close()
        raise _closed_in_handshake(url, False, True) from None
    tls.setblocking(False)
    heard = reset = False  # the server sent at least one byte / reset the connection
    while True:
        try:
            tls.do_handshake()
            if tls.version() == "TLSv1.3":
                _await_verdict(tls, url, host, deadline, has_certificate=has_certificate)
            return tls
        except TransportFailure:
            tls.close()
            raise
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError) as want:
            reading = isinstance(want, ssl.SSLWantReadError)
            if not _wait(tls, reading, deadline - time.monotonic()):
                tls.close()
                reason = f"timeout: no TLS handshake with {url} within {budget:g} s"
                raise TransportFailure(DEADLINE, PHASE_TLS, reason) from None
            if reading and not heard:
                waiting = _waiting(tls)
                heard, reset = waiting == "data", reset or waiting == "reset"
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionError) as exc:
            tls.close()
            reset = reset or isinstance(exc, ConnectionResetError)
            raise _closed_in_handshake(url, heard, reset) from None
        except ssl.SSLError as exc:
            tls.close()
            why = tls_reasons.classify(exc, host, has_certificate=has_certificate)
            reason = f"TLS handshake failed: {why.words} [{tls_reasons.raw_text(exc)}]"
            raise TransportFailure(why.kind, PHASE_TLS, reason) from None


def _await_verdict(
    tls: ssl.SSLSocket, url: str, host: str, deadline: float, *, has_certificate: bool
) -> None:
    """Under TLS 1.3 the server judges the client's certificate after the client's handshake is
    done, and says so in its next record: a session ticket (accepted) or an alert (refused).
    Waiting briefly for that record keeps a refusal from being lost: a request written into a
    connection the server is closing turns its alert into a bare reset."""
    until = min(deadline, time.monotonic() + _VERDICT_WAIT)
    while _wait(tls, True, until - time.monotonic()):
        try:
            tls.recv(1)  # an HTTP server speaks only when asked: no response byte is lost here
            return
        except ssl.SSLWantReadError:
            return  # a session ticket: the server took the handshake
        except ConnectionResetError:
            raise silent_close(url, "reset") from None
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionError):
            raise silent_close(url, "closed") from None
        except ssl.SSLError as exc:
            why = tls_reasons.classify(exc, host, has_certificate=has_certificate)
            reason = f"TLS handshake failed: {why.words} [{tls_reasons.raw_text(exc)}]"
            raise TransportFailure(why.kind, PHASE_TLS, reason) from None


def _closed_in_handshake(url: str, heard: bool, reset: bool) -> TransportFailure:
    how = "reset" if reset else "closed"
    if not heard:
        return TransportFailure(
            RESET if reset else CLOSED,
            PHASE_TLS,
            f"connection {how} by {url} before any TLS byte: not a TLS refusal",
        )
    return TransportFailure(
        TLS_CLOSED, PHASE_TLS, f"TLS handshake failed: {url} {how} the connection without an alert"
    )


def _wait(sock: socket.socket, reading: bool, remaining: float) -> bool:
    if remaining <= 0:
        return False
    ready = select.select([sock] if reading else [], [] if reading else [sock], [], remaining)
    return bool(ready[0] or ready[1])


def _waiting(sock: socket.socket) -> str:
    """What waits on ``sock``: "data", "eof", "reset" or "nothing", peeked without consuming
    any byte (a reset is reported once: peeking it is the only chance to see it)."""
    peek = socket.socket(fileno=os.dup(sock.fileno()))
    try:
        return "data" if peek.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) else "eof"
    except ConnectionResetError:
        return "reset"
    except OSError:
        return "nothing"
    finally:
        peek.close()
