"""``conformance certify``: a masked, signed, versioned evidence package of the certification
profile run with one client (docs/certification.md); ``conformance certify verify DIR`` checks one.

Exit codes of ``certify``: 0 CERTIFIED, 1 NOT CERTIFIED (the package is written either way),
2 interrupted, 3 internal error (no package), 4 bad input (one line, before anything runs); any
other code of ``conformance run`` (the run stopped early) is passed on, and no package is written.
Exit codes of ``certify verify``: see ``conformance/certify/verify.py`` (0, 4, 10-13).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from conformance.certify import make
from conformance.certify.manifest import CERTIFIED
from conformance.commands import EXIT_BAD_INPUT

HELP = "Run the certification profile with one client and write a signed evidence package."
USAGE, INTERNAL = EXIT_BAD_INPUT, 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", metavar="NAME|PATH", help="environment file (or reference)")
    parser.add_argument("--client", metavar="ROLE", help="the partner's client role in --env")
    parser.add_argument(
        "--out",
        metavar="DIR",
        default="certification",
        help="an empty or new folder for the package (default: certification)",
    )
    parser.add_argument(
        "--defect",
        metavar="NAME",
        help="against the embedded reference with one deliberate defect (to see NOT CERTIFIED)",
    )
    sub = parser.add_subparsers(dest="certify_command", metavar="verify")
    check = sub.add_parser("verify", help="check a package", description="Check a package.")
    check.add_argument("package", metavar="DIR", help="the package folder")
    check.add_argument("--ca", metavar="FILE", help="PEM CA(s) the signer must be issued by")
    check.add_argument("--xsd", metavar="FILE", help="the payload XSD in use (default: ours)")
    check.add_argument("--wsdl", metavar="FILE", help="the WSDL in use (default: ours)")


def run(args: argparse.Namespace) -> int:
    if args.certify_command == "verify":
        return _verify(args)
    if not args.env or not args.client:
        print("conformance certify: --env and --client are required", file=sys.stderr)
        return USAGE
    out = Path(args.out)
    try:
        inputs = make.check_inputs(args.env, args.client, out, args.defect)
    except make.BadInput as exc:
        print(f"conformance certify: {exc}", file=sys.stderr)
        return USAGE
    with tempfile.TemporaryDirectory(prefix="conformance-certify-") as work:
        started = make.now_utc()
        code, report_dir = make.run_profile(inputs, args.env, args.defect, Path(work))
        finished = make.now_utc()
        if code not in (0, 1):
            print(f"conformance certify: the run stopped (exit {code}): no package written")
            return code
        try:
            folder, verdict = make.build(inputs, report_dir, started, finished)
        except (OSError, RuntimeError) as exc:
            print(f"conformance certify: no package written: {exc}", file=sys.stderr)
            return INTERNAL
    print(f"\n{verdict}: package {folder} (check it: conformance certify verify {folder})")
    return 0 if verdict == CERTIFIED else 1


def _verify(args: argparse.Namespace) -> int:
    from conformance.certify import verify
    from conformance.contract import ContractError, load_contract

    try:
        ca = verify.read_ca(Path(args.ca)) if args.ca else []
        contract = load_contract(args.xsd, args.wsdl) if (args.xsd or args.wsdl) else None
    except (OSError, ValueError, ContractError) as exc:
        print(f"conformance certify verify: {exc}", file=sys.stderr)
        return USAGE
    result = verify.verify(Path(args.package), ca=ca, contract=contract)
    print(result.message, file=sys.stdout if result.code == verify.OK else sys.stderr)
    return result.code
