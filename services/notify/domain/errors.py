"""Send outcomes a backend can raise. Reasons are short codes: never PHI, never a secret."""

from __future__ import annotations


class SendError(Exception):
    """Base for every send failure; `reason` is a short machine code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryableSendError(SendError):
    """Try again later.

    retry_after: seconds the provider asked us to wait (already clamped), or None to use backoff.
    ambiguous: the request may have been accepted but the answer was lost (timeout or reset after
    the body was sent). A retry can then deliver a second copy: count it, and let the delivery
    webhook reconcile.
    """

    def __init__(self, reason: str, retry_after: float | None = None, ambiguous: bool = False) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.ambiguous = ambiguous

    def __repr__(self) -> str:
        return (
            f"RetryableSendError(reason={self.reason!r}, retry_after={self.retry_after!r}, "
            f"ambiguous={self.ambiguous!r})"
        )


class PermanentSendError(SendError):
    """Retrying the same request cannot succeed (bad request, bad key, refused recipient)."""

    def __init__(self, reason: str, status: int | None) -> None:
        super().__init__(reason)
        self.status = status

    def __repr__(self) -> str:
        return f"PermanentSendError(reason={self.reason!r}, status={self.status!r})"
