"""Errors of the policy lifecycle. They carry data; the gateway maps them to HTTP answers.

PolicyVersionError
├── VersionNotFound      no version with this revision
├── InvalidVersion       uploaded modules or data refused (`field`, `message`)
├── LifecycleConflict    the step does not fit the version's state (`state`)
├── NotPrivacyOfficer    only the privacy_officer role manages policy
└── PolicyFourEyes       the approver is the requester
"""

from __future__ import annotations


class PolicyVersionError(Exception):
    """Base class of the policy lifecycle's errors."""


class VersionNotFound(PolicyVersionError):
    def __init__(self, revision: str) -> None:
        self.revision = revision
        super().__init__(f"no policy version {revision[:80]!r}")


class InvalidVersion(PolicyVersionError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class LifecycleConflict(PolicyVersionError):
    """`reason` is a stable key for what is in the way (`untested`, `test_failed`,
    `not_simulated`, `not_approved`, …), for a console to word in the officer's language."""

    def __init__(self, revision: str, state: str, message: str, reason: str = "") -> None:
        self.revision = revision
        self.state = state
        self.message = message
        self.reason = reason
        super().__init__(f"policy version {revision} ({state}): {message}")


class NotPrivacyOfficer(PolicyVersionError):
    def __init__(self) -> None:
        super().__init__("only a privacy officer (role privacy_officer) manages policy versions")


class PolicyFourEyes(PolicyVersionError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
