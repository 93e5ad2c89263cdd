"""The detached CMS (PKCS#7, RFC 5652) signature over ``manifest.json``: made and checked.

Made with ``cryptography``'s ``PKCS7SignatureBuilder``: detached, binary (the manifest's exact
bytes, no MIME newline translation), SHA-256, the signer's certificate included. ``cryptography``
signs CMS but does not verify it, so :func:`verify` reads the SignedData with ``asn1crypto``
(a parser only) and checks the one SignerInfo itself with ``cryptography``: the content-type
and message-digest signed attributes, then the signature over the DER of the signed attributes
(RFC 5652 §5.4) with the certificate's public key. docs/certification.md says why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from conformance.certify.credentials import SigningKey


class SignatureError(Exception):
    """The signature does not prove the manifest. The message says which part fails."""


class ManifestChanged(SignatureError):
    """The signature is intact (by its certificate) but signs other bytes than the manifest's."""


def sign(data: bytes, certificate: x509.Certificate, key: SigningKey) -> bytes:
    """A DER detached signature of ``data`` by ``key``, carrying ``certificate``."""
    options = [
        pkcs7.PKCS7Options.DetachedSignature,
        pkcs7.PKCS7Options.Binary,
        pkcs7.PKCS7Options.NoCapabilities,
    ]
    builder = pkcs7.PKCS7SignatureBuilder().set_data(data)
    builder = builder.add_signer(certificate, key, hashes.SHA256())
    return builder.sign(serialization.Encoding.DER, options)


def verify(data: bytes, signature: bytes, ca: Sequence[x509.Certificate] = ()) -> x509.Certificate:
    """The signer's certificate when ``signature`` signs ``data``; else :class:`SignatureError`.

    With ``ca``, the signer's certificate must also be issued by one of those certificates."""
    try:
        info = cms.ContentInfo.load(signature, strict=True)
        if info.dump(force=True) != signature:  # every byte parsed, and in its one DER form
            raise SignatureError("not in DER form")
        signed, signer = _signed_data(info)
        certificate = _signer_certificate(signed, signer)
        algorithm = str(signer["digest_algorithm"]["algorithm"].native)
        attributes = signer["signed_attrs"]
        if algorithm != "sha256" or not len(attributes):
            raise SignatureError(f"unsupported digest {algorithm} or no signed attributes")
        by_type = {a["type"].native: a["values"].native for a in attributes}
        if by_type.get("content_type") != ["data"]:
            raise SignatureError("the signed content type is not data")
        # RFC 5652 §5.4: the signature covers the DER of the attributes as a SET OF (tag 0x31),
        # not the [0] IMPLICIT tag they carry inside the SignerInfo.
        signed_bytes = b"\x31" + attributes.dump()[1:]
        scheme = signer["signature_algorithm"]
        if _hash_of(scheme) not in (None, algorithm):
            raise SignatureError(f"signed with {_hash_of(scheme)}, digested with {algorithm}")
        # The attributes' signature before the digest: only an intact signature blames the data.
        _check(certificate, scheme.signature_algo, signer["signature"].native, signed_bytes)
        digest = hashlib.new(algorithm, data).digest()
        if by_type.get("message_digest") != [digest]:
            raise ManifestChanged("changed after it was signed (the signature signs other bytes)")
    except SignatureError:  # ManifestChanged too
        raise
    except Exception as exc:  # untrusted bytes: any parse error of asn1crypto or cryptography
        raise SignatureError(f"cannot be read as CMS: {exc}") from None
    if ca and not any(_issued_by(certificate, issuer) for issuer in ca):
        raise SignatureError(
            f"the signer's certificate ({certificate.subject.rfc4514_string()}) is not issued by "
            "the given CA"
        )
    return certificate


def _hash_of(scheme: cms.SignedDigestAlgorithm) -> str | None:
    """The hash a signature algorithm names; None for plain ``rsaEncryption`` (RFC 5754 §3.2:
    the SignerInfo's digest algorithm then says it)."""
    if scheme["algorithm"].native == "rsassa_pkcs1v15":
        return None
    return str(scheme.hash_algo)


def _signed_data(info: cms.ContentInfo) -> tuple[cms.SignedData, cms.SignerInfo]:
    """The SignedData and its one SignerInfo, in the shape :func:`sign` makes: anything more
    (another signer, certificate, CRL, unsigned attribute) is refused, not ignored."""
    if info["content_type"].native != "signed_data":
        raise SignatureError("not a CMS SignedData")
    signed = info["content"]
    if signed["encap_content_info"]["content"].native is not None:
        raise SignatureError("not a detached signature (it carries content)")
    if signed["encap_content_info"]["content_type"].native != "data":
        raise SignatureError("the signed content type is not data")
    signers = list(signed["signer_infos"])
    if len(signers) != 1 or len(signed["certificates"] or ()) != 1:
        raise SignatureError("one signer and one certificate are expected")
    signer = signers[0]
    digests = [a["algorithm"].native for a in signed["digest_algorithms"]]
    if digests != [signer["digest_algorithm"]["algorithm"].native]:
        raise SignatureError("the digest algorithms disagree")
    if signed["crls"].native or signer["unsigned_attrs"].native:
        raise SignatureError("unexpected CRLs or unsigned attributes")
    if signed["version"].native != "v1" or signer["version"].native != "v1":
        raise SignatureError("not a version 1 SignedData / SignerInfo")
    return signed, signer


def _signer_certificate(signed: cms.SignedData, signer: cms.SignerInfo) -> x509.Certificate:
    sid = signer["sid"]
    if sid.name != "issuer_and_serial_number":
        raise SignatureError("the signer is not named by issuer and serial number")
    wanted = sid.chosen
    for choice in signed["certificates"] or ():
        candidate = choice.chosen
        if not isinstance(candidate, cms.Certificate):
            continue
        tbs = candidate["tbs_certificate"]
        same_serial = tbs["serial_number"].native == wanted["serial_number"].native
        if same_serial and tbs["issuer"] == wanted["issuer"]:
            return x509.load_der_x509_certificate(candidate.dump())
    raise SignatureError("the signer's certificate is not in the signature")


def _check(certificate: x509.Certificate, scheme: str, value: bytes, signed: bytes) -> None:
    key = certificate.public_key()
    algorithm = hashes.SHA256()
    try:
        if isinstance(key, rsa.RSAPublicKey) and scheme == "rsassa_pkcs1v15":
            key.verify(value, signed, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and scheme == "ecdsa":
            key.verify(value, signed, ec.ECDSA(algorithm))
        else:
            raise SignatureError(f"{scheme} does not fit a {type(key).__name__}")
    except InvalidSignature:
        raise SignatureError("altered: it does not verify with its own certificate") from None


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def load_ca(pem: bytes) -> list[x509.Certificate]:
    """Every certificate of a PEM file (a CA bundle)."""
    return x509.load_pem_x509_certificates(pem)
