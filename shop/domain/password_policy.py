"""What a password must be: long enough, not blank, not common, not the e-mail address.

``check_password_strength`` is the one check behind every form and command that sets a
password (sign-up, reset, create-admin); each refusal is a ``WeakPassword`` whose message
says what to change. The common-password list ships inside the package
(shop/security_data/README.md says where it comes from).
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib import resources

from .errors import DomainError

MIN_PASSWORD_LENGTH = 10
# A local part shorter than this ("jo@...") is not looked for inside the password: it would
# refuse good passphrases and says little about how guessable one is.
MIN_LOCAL_PART_LENGTH = 3


class WeakPassword(DomainError):
    code = "weak_password"


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list, lowercased (read once per process)."""
    data = resources.files("shop.security_data").joinpath("common-passwords.txt.gz")
    text = gzip.decompress(data.read_bytes()).decode("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def check_password_strength(password: str, *, email: str | None = None) -> None:
    """Raise ``WeakPassword`` unless ``password`` may protect the account of ``email``."""
    if not password.strip():
        raise WeakPassword("A password cannot be only spaces.")
    # Spaces at either end are easy to lose or add by mistake: they do not count.
    folded = password.strip().lower()
    if len(folded) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"Use at least {MIN_PASSWORD_LENGTH} characters. Spaces at "
                           "either end do not count.")
    if folded in common_passwords():
        raise WeakPassword("This password is one of the most common ones, the first an "
                           "attacker tries. Choose another.")
    if email and _contains_email(folded, email.strip().lower()):
        raise WeakPassword("Do not use your e-mail address (or its name part) in your "
                           "password.")


def _contains_email(folded: str, email: str) -> bool:
    local = email.rpartition("@")[0]
    return email in folded or (len(local) >= MIN_LOCAL_PART_LENGTH and local in folded)
