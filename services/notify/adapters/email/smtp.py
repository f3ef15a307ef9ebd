"""SMTP (a self-hosted relay): smtplib, with SMTP's answers mapped onto the two send errors."""

from __future__ import annotations

import smtplib
import ssl
from email import policy
from email.utils import parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

import structlog

from services.notify.adapters.email.common import build_mime, retryable
from services.notify.domain.errors import PermanentSendError, RetryableSendError
from services.notify.domain.message import OutgoingEmail

log = structlog.get_logger(__name__)
SMTP_DEFAULT_TIMEOUT_SECONDS = 10.0


class SmtpBackend:
    """smtplib against smtp://[user:pass@]host[:port][?starttls=true&timeout=10] or smtps://.

    SMTP 4xx -> retryable, 5xx -> permanent. A connection lost after the message body was sent
    (the DATA phase) is ambiguous: the server may have queued it.
    """

    name = "smtp"

    def __init__(self, url: str, from_email: str, timeout: float | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("smtp url must start with smtp:// or smtps://")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self._ssl = parts.scheme == "smtps"
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (465 if self._ssl else 25)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else ""
        self._starttls = query.get("starttls", "").lower() in ("1", "true", "yes", "required")
        if self._ssl and self._starttls:
            raise ValueError("use smtps:// or starttls, not both")
        if timeout is None:
            timeout = float(query.get("timeout", SMTP_DEFAULT_TIMEOUT_SECONDS))
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self._timeout = timeout
        self._from = from_email
        _, self._from_addr = parseaddr(from_email)
        if not self._from_addr:
            raise ValueError("from_email needs an address")

    def __repr__(self) -> str:
        scheme = "smtps" if self._ssl else "smtp"
        return f"SmtpBackend({scheme}://{self._host}:{self._port}, starttls={self._starttls})"

    def send(self, email: OutgoingEmail) -> str | None:
        nid = email.notification_id
        msg = build_mime(email, self._from)
        message_id = msg["Message-ID"].strip("<>")
        payload = msg.as_bytes(policy=policy.SMTP)
        phase = "connect"
        smtp: smtplib.SMTP | None = None
        try:
            context = ssl.create_default_context()
            if self._ssl:
                smtp = smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout, context=context)
            else:
                smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
            smtp.ehlo_or_helo_if_needed()
            if self._starttls:
                smtp.starttls(context=context)
                smtp.ehlo()
            if self._user:
                smtp.login(self._user, self._password)
            phase = "envelope"
            code, _ = smtp.mail(self._from_addr)
            if code != 250:
                raise _smtp_code(nid, code)
            try:
                code, _ = smtp.rcpt(email.to)
            except UnicodeEncodeError:
                raise PermanentSendError("invalid_recipient", None) from None
            if code not in (250, 251):
                raise _smtp_code(nid, code)
            phase = "data"
            # data() raises only when DATA itself is refused; the final verdict is returned.
            code, _ = smtp.data(payload)
            if code != 250:
                raise _smtp_code(nid, code)
        except (RetryableSendError, PermanentSendError):
            _close(smtp)
            raise
        except smtplib.SMTPResponseException as exc:
            _close(smtp)
            raise _smtp_code(nid, int(exc.smtp_code)) from None
        except smtplib.SMTPNotSupportedError:
            _close(smtp)
            log.warning("email_send_failed", notification_id=nid, reason="smtp_unsupported")
            raise PermanentSendError("smtp_unsupported", None) from None
        except ssl.SSLCertVerificationError:
            _close(smtp)
            log.warning("email_send_failed", notification_id=nid, reason="smtp_tls_verify")
            raise PermanentSendError("smtp_tls_verify", None) from None
        except (smtplib.SMTPException, OSError):
            _close(smtp)
            if phase == "data":
                raise retryable(nid, "smtp_connection_lost", ambiguous=True) from None
            raise retryable(
                nid, "smtp_connect_failed" if phase == "connect" else "smtp_connection_lost"
            ) from None
        # Accepted: a failing QUIT must not turn a sent email into a retry.
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            _close(smtp)
        log.info("email_sent", backend=self.name, notification_id=nid, message_id=message_id)
        return message_id


def _smtp_code(nid: str, code: int) -> Exception:
    if 400 <= code < 500:
        return retryable(nid, f"smtp_{code}")
    log.warning("email_send_failed", notification_id=nid, reason=f"smtp_{code}", status=code)
    return PermanentSendError(f"smtp_{code}", code)


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.close()
        except OSError:
            pass
