"""What every email backend shares: one way to report a retryable failure (logged with ids and
short codes only: never an address, a body or the key), and the MIME message SMTP and the file
outbox both write."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

import structlog

from services.notify.domain.errors import RetryableSendError
from services.notify.domain.message import OutgoingEmail

log = structlog.get_logger("services.notify.adapters.email")


def retryable(
    nid: str,
    reason: str,
    *,
    retry_after: float | None = None,
    ambiguous: bool = False,
    status: int | None = None,
) -> RetryableSendError:
    log.warning(
        "email_send_retryable",
        notification_id=nid,
        reason=reason,
        status=status,
        ambiguous=ambiguous,
        retry_after=retry_after,
    )
    return RetryableSendError(reason, retry_after=retry_after, ambiguous=ambiguous)


def build_mime(email: OutgoingEmail, from_email: str) -> EmailMessage:
    """An RFC 5322 message with text and HTML alternatives and an opaque Message-ID."""
    _, from_addr = parseaddr(from_email)
    domain = from_addr.rpartition("@")[2] or "careroute.local"
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = from_email
    msg["To"] = email.to
    msg["Subject"] = email.subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(idstring=email.notification_id, domain=domain)
    msg["X-CareRoute-Notification-Id"] = email.notification_id
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    return msg
