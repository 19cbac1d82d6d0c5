"""Password hashing with argon2id (policy section 8) and the minimum password rules."""

from __future__ import annotations

import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# The test suite sets LEDGERLINE_FAST_PASSWORD_HASH=1 for cheap argon2 parameters (each
# test tenant hashes six passwords); the production profile refuses that setting.
_hasher = (
    PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    if os.environ.get("LEDGERLINE_FAST_PASSWORD_HASH") == "1"
    else PasswordHasher()
)
# Verified against when the email is unknown, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash("ledgerline-timing-equaliser")

MIN_LENGTH = 12
_COMMON = {
    "password1234",
    "passwordpassword",
    "123456789012",
    "qwertyuiopas",
    "letmeinletmein",
    "iloveyou1234",
    "administrator",
    "welcome12345",
}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not an account exists (pass None for unknown emails)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str, email: str) -> str | None:
    """Why a password is refused, or None. Kept simple and explainable to the user."""
    if len(password) < MIN_LENGTH:
        return f"Password must be at least {MIN_LENGTH} characters long."
    if len(password) > 256:
        return "Password must be at most 256 characters long."
    lowered = password.lower()
    local = email.split("@", 1)[0].lower()
    if lowered == email.lower() or (len(local) >= 4 and local in lowered):
        return "Password must not contain your email address."
    if lowered in _COMMON or len(set(lowered)) < 4:
        return "Password is too common or too repetitive."
    return None
