"""Personal data and secrets out of every artefact.

NISS masking (``--mask-ssin``): an 11-digit token whose check digits match either century
(``97 - n mod 97`` over its first 9 digits, or over ``2`` followed by them), whatever its date,
or one of the known dataset values, becomes ``YY#hhhhhhhh``: the first two digits (the birth
year, enough to tell test persons apart when reading) and 8 hex digits of a keyed SHA-256 of the
whole number. The mask has the NISS's length, so tables stay aligned, and it is deterministic:
the same NISS gets the same mask within a run and across runs (and machines) that share the key.
Only what cannot be a number at all (check digits of neither century) stays readable: a strict
validity rule would leave a 31 November or a month 13 readable, and a real register holds such
numbers. Some 2 % of random 11-digit numbers (a digit run in a hash) are masked too: the safe side.
The key is ``$BCSS_MASK_KEY`` when set, else a fixed project key. With the fixed key the mask is
pseudonymisation, not anonymisation: 11-digit numbers with a check digit can be brute-forced,
so set a private key before sharing masked reports outside the team.

Secrets are removed whether or not masking is asked for: PEM private-key blocks and the
configured passwords never reach an artefact.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Iterable
from xml.sax.saxutils import escape

from conformance import niss

_DEFAULT_KEY = b"bcss-conformance/niss-mask/v1"
# A NISS-shaped token: 11 digits not glued to other digits (a longer number is not a NISS).
_NISS_TOKEN = re.compile(rb"(?<![0-9])[0-9]{11}(?![0-9])")
# The printed form YY.MM.DD-SSS.CC is masked too.
_NISS_PRINTED = re.compile(
    rb"(?<![0-9])([0-9]{2})\.([0-9]{2})\.([0-9]{2})-([0-9]{3})\.([0-9]{2})(?![0-9])"
)
_PEM_PRIVATE = re.compile(
    rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
    re.DOTALL,
)
_PEM_REPLACEMENT = b"[private key removed]"
_SECRET_REPLACEMENT = b"[secret removed]"


def could_be_niss(digits: str) -> bool:
    """Whether an 11-digit token has the check digits of a NISS or BIS of either century."""
    return niss.check_digits_match(digits)


def niss_like_tokens(data: bytes) -> list[str]:
    """Every token of ``data`` the mask must not leave readable (an audit of a finished file)."""
    found = [m.group(0).decode() for m in _NISS_TOKEN.finditer(data)]
    found += ["".join(g.decode() for g in m.groups()) for m in _NISS_PRINTED.finditer(data)]
    return [token for token in found if could_be_niss(token)]


class Masker:
    """Masks NISS values in text and bytes. ``known_ssins`` are masked even when they are not
    valid numbers (e.g. a dataset's deliberately broken NISS)."""

    def __init__(self, known_ssins: Iterable[str] = (), *, key: bytes | None = None) -> None:
        env_key = os.environ.get("BCSS_MASK_KEY")
        self._key = key if key is not None else (env_key.encode() if env_key else _DEFAULT_KEY)
        self._known = {s for s in known_ssins if s and s.isdigit() and len(s) == 11}
        self._cache: dict[bytes, bool] = {}

    def mask_of(self, ssin: str) -> str:
        """The mask of one NISS: first two digits, ``#``, 8 hex digits of a keyed hash."""
        digest = hmac.new(self._key, ssin.encode(), hashlib.sha256).hexdigest()[:8]
        return f"{ssin[:2]}#{digest}"

    def _should_mask(self, token: bytes) -> bool:
        hit = self._cache.get(token)
        if hit is None:
            text = token.decode()
            hit = text in self._known or could_be_niss(text)
            self._cache[token] = hit
        return hit

    def _sub_token(self, match: re.Match[bytes]) -> bytes:
        token = match.group(0)
        return self.mask_of(token.decode()).encode() if self._should_mask(token) else token

    def _sub_printed(self, match: re.Match[bytes]) -> bytes:
        token = b"".join(match.groups())
        return self.mask_of(token.decode()).encode() if self._should_mask(token) else match[0]

    def mask_bytes(self, data: bytes) -> bytes:
        """Mask every NISS in ASCII-compatible bytes (UTF-8 XML, JSON, text)."""
        data = _NISS_TOKEN.sub(self._sub_token, data)
        return _NISS_PRINTED.sub(self._sub_printed, data)

    def mask_text(self, text: str) -> str:
        return self.mask_bytes(text.encode("utf-8")).decode("utf-8")


def scrub_secrets_bytes(data: bytes, secrets: Iterable[str] = ()) -> bytes:
    """Remove PEM private keys and the given secrets (passwords) from ``data``."""
    data = _PEM_PRIVATE.sub(_PEM_REPLACEMENT, data)
    for secret in secrets:
        if not secret:
            continue
        for form in _encoded_forms(secret):
            data = data.replace(form, _SECRET_REPLACEMENT)
    return data


def scrub_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    return scrub_secrets_bytes(text.encode("utf-8"), secrets).decode("utf-8")


def _encoded_forms(secret: str) -> set[bytes]:
    # A password can reach a file raw, JSON-escaped (Allure results) or XML-escaped.
    raw = secret.encode("utf-8")
    forms = {raw, json.dumps(secret)[1:-1].encode("utf-8"), escape(secret).encode("utf-8")}
    return {f for f in forms if f}


def clean_bytes(data: bytes, masker: Masker | None, secrets: Iterable[str] = ()) -> bytes:
    """What every artefact goes through before it is written: secrets out, NISS masked if asked."""
    data = scrub_secrets_bytes(data, secrets)
    return masker.mask_bytes(data) if masker is not None else data
