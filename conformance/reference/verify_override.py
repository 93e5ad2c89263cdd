"""Defect mode only: an OpenSSL verify callback that lets chosen verification errors through.

A gateway that accepts "any CA" or ignores the extended key usage does it with exactly this
OpenSSL mechanism: ``SSL_CTX_set_verify`` with a callback that answers "ok" for some
``X509_V_ERR_*`` codes. The standard library's ``ssl`` exposes neither the callback nor a flag
for these two checks, and pyOpenSSL would need a second HTTP server stack for the defects alone;
so this calls OpenSSL's own function, through ctypes, on the ``SSL_CTX`` of a standard
``ssl.SSLContext``: every server stack that takes an ``ssl.SSLContext`` serves the defect
unchanged. Every other error is still refused, so each defect weakens one check and no more.

Reaching the ``SSL_CTX`` relies on CPython's ``PySSLContext`` layout (the pointer right after the
object header); :func:`tolerate` proves it read the right pointer (its verify mode and options
must be the context's) before writing anything, and refuses to run otherwise.
"""

from __future__ import annotations

import _ssl
import ctypes
import ssl
from collections.abc import Collection

_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p)
_VERIFY_PEER = 0x01
_FAIL_IF_NO_PEER_CERT = 0x02
# The attribute keeping the callback alive as long as its context: OpenSSL holds a bare pointer.
_KEEP = "_conformance_verify_callback"


class VerifyOverrideError(RuntimeError):
    """This Python's ssl module cannot be reached this way; the defect cannot be served."""


def _openssl() -> ctypes.CDLL:
    # The _ssl extension's own handle resolves the libssl/libcrypto it is linked with.
    lib = ctypes.CDLL(_ssl.__file__)
    lib.SSL_CTX_get_verify_mode.argtypes = [ctypes.c_void_p]
    lib.SSL_CTX_get_verify_mode.restype = ctypes.c_int
    lib.SSL_CTX_get_options.argtypes = [ctypes.c_void_p]
    lib.SSL_CTX_get_options.restype = ctypes.c_uint64
    lib.SSL_CTX_set_verify.argtypes = [ctypes.c_void_p, ctypes.c_int, _Callback]
    lib.SSL_CTX_set_verify.restype = None
    lib.X509_STORE_CTX_get_error.argtypes = [ctypes.c_void_p]
    lib.X509_STORE_CTX_get_error.restype = ctypes.c_int
    return lib


def _ssl_ctx(context: ssl.SSLContext, lib: ctypes.CDLL) -> int:
    pointer = ctypes.c_void_p.from_address(id(context) + object.__basicsize__).value
    if not pointer:
        raise VerifyOverrideError("no SSL_CTX found in this ssl.SSLContext")
    mode = {ssl.CERT_NONE: 0, ssl.CERT_OPTIONAL: _VERIFY_PEER}.get(
        context.verify_mode, _VERIFY_PEER | _FAIL_IF_NO_PEER_CERT
    )
    if lib.SSL_CTX_get_verify_mode(pointer) != mode or lib.SSL_CTX_get_options(pointer) != int(
        context.options
    ):
        raise VerifyOverrideError("this Python's ssl.SSLContext layout is not the expected one")
    return pointer


def tolerate(context: ssl.SSLContext, errors: Collection[int]) -> None:
    """Make ``context``'s client verification accept the ``X509_V_ERR_*`` codes ``errors``.

    Set ``verify_mode`` before calling: the mode is kept, only the callback changes."""
    lib = _openssl()
    pointer = _ssl_ctx(context, lib)
    tolerated = frozenset(errors)

    def verify(preverify_ok: int, store: int | None) -> int:
        if preverify_ok:
            return 1
        return 1 if lib.X509_STORE_CTX_get_error(store) in tolerated else 0

    callback = _Callback(verify)
    setattr(context, _KEEP, callback)
    lib.SSL_CTX_set_verify(pointer, lib.SSL_CTX_get_verify_mode(pointer), callback)
