"""Client certificates a two-way TLS service must refuse (docs/client-certificates.md).

``generate.py`` makes them per run with ``cryptography``: no private key of a real client is
needed, only the subject of its certificate, so they test any endpoint. ``environment.py`` reads
the ones an environment names, issued by the service's own CA. ``factory.py`` hands one per case
to the runtime and keeps it in the report folder.
"""

from __future__ import annotations

# craft -> (kind, what the certificate is, in a failure's words)
CRAFTS: dict[str, tuple[str, str]] = {
    "foreign_ca_cert": ("foreign_ca", "a certificate from an unknown CA"),
    "expired_cert": ("expired", "an expired certificate from an unknown CA"),
    "not_yet_valid_cert": ("not_yet_valid", "a not yet valid certificate from an unknown CA"),
    "self_signed_cert": ("self_signed", "a self-signed certificate"),
    "no_client_auth_cert": (
        "no_client_auth",
        "a certificate without clientAuth usage from an unknown CA",
    ),
    "own_ca_expired_cert": ("expired", "an expired certificate from the service's own CA"),
    "own_ca_not_yet_valid_cert": (
        "not_yet_valid",
        "a not yet valid certificate from the service's own CA",
    ),
    "own_ca_no_client_auth_cert": (
        "no_client_auth",
        "a certificate without clientAuth usage from the service's own CA",
    ),
}


def own_ca(craft: str) -> bool:
    """True for a case whose certificate the environment names (issued by its own CA)."""
    return craft.startswith("own_ca_")
