"""Email backends: SendGrid (production), SMTP (self-hosted relay), a file outbox (development).

Every backend maps its failures onto two errors so the task layer needs one policy:
RetryableSendError (with `ambiguous` when the provider may already have the message) and
PermanentSendError. Logs carry ids and short codes only: never an address, a body or the key.
"""

from __future__ import annotations

import http.client
import logging
import os
import random
import re
import smtplib
import ssl
import tempfile
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid, parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

import structlog
from python_http_client.exceptions import HTTPError, TooManyRequestsError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Category,
    ClickTracking,
    CustomArg,
    Email,
    Mail,
    OpenTracking,
    SubscriptionTracking,
    To,
    TrackingSettings,
)

from services.notify.domain.errors import PermanentSendError, RetryableSendError
from services.notify.domain.message import EmailBackend, OutgoingEmail

if TYPE_CHECKING:
    from shared.settings import Settings

log = structlog.get_logger(__name__)

RATE_LIMIT_MIN_SECONDS = 1.0
RATE_LIMIT_MAX_SECONDS = 120.0
RATE_LIMIT_DEFAULT_SECONDS = 10.0
SMTP_DEFAULT_TIMEOUT_SECONDS = 10.0

_PERMANENT_REASONS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


class _DropBelowWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


_HTTP_CLIENT_FILTER = _DropBelowWarning()


def quiet_http_client_logger() -> None:
    """python_http_client logs request headers (the bearer key) and payloads at DEBUG.

    Hold it at WARNING, and add a filter as well so a later `setLevel(DEBUG)` elsewhere
    (a debugging session, a dictConfig) still cannot let those lines through.
    """
    # Logger filters only see records created on that very logger, so cover the module logger
    # (python_http_client.client, where the lines are logged) as well as the package.
    for name in ("python_http_client", "python_http_client.client"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        if _HTTP_CLIENT_FILTER not in logger.filters:
            logger.addFilter(_HTTP_CLIENT_FILTER)


quiet_http_client_logger()


# --- SendGrid ---------------------------------------------------------------------------------


class SendGridBackend:
    """The official sendgrid client with a timeout, quiet logs and one error mapping.

    429: retry_after = X-RateLimit-Reset (epoch seconds) - now, clamped to [1, 120], plus jitter
    added HERE (up to 20% of the wait, at most 5 s, never past 120), so the caller can use
    retry_after as its countdown as-is and many workers do not all come back at the same second.
    """

    name = "sendgrid"

    def __init__(
        self,
        api_key: str,
        host: str,
        timeout: float,
        from_email: str,
        *,
        clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if not api_key:
            raise ValueError("api_key is required")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        quiet_http_client_logger()
        self._sg = SendGridAPIClient(api_key=api_key, host=host)
        # The client has no timeout by default: a hung connection would hold a worker forever.
        self._sg.client.timeout = timeout
        self._from = from_email
        self._clock = clock
        self._jitter = jitter

    def __repr__(self) -> str:
        return f"SendGridBackend(host={self._sg.host!r})"

    @property
    def timeout(self) -> float:
        return self._sg.client.timeout

    def build_mail(self, email: OutgoingEmail) -> Mail:
        mail = Mail(
            from_email=Email(self._from),
            to_emails=To(email.to),
            subject=email.subject,
            plain_text_content=email.text,
            html_content=email.html,
        )
        if email.categories:
            mail.category = [Category(c) for c in email.categories]
        args = {**email.custom_args, "notification_id": email.notification_id}
        mail.custom_arg = [CustomArg(k, v) for k, v in args.items()]
        # Click tracking would rewrite our signed links through the provider; opens add a pixel.
        mail.tracking_settings = TrackingSettings(
            click_tracking=ClickTracking(False, False),
            open_tracking=OpenTracking(False),
            subscription_tracking=SubscriptionTracking(False),
        )
        return mail

    def send(self, email: OutgoingEmail) -> str | None:
        mail = self.build_mail(email)
        nid = email.notification_id
        try:
            response = self._sg.send(mail)
        except TooManyRequestsError as exc:
            wait = self.retry_after(exc.headers)
            raise _retry(nid, "rate_limited", retry_after=wait, status=429) from None
        except HTTPError as exc:
            raise _http_error(nid, int(exc.status_code)) from None
        except urllib.error.URLError:
            # urllib raises URLError only while connecting or writing the request, before any
            # answer could exist: the provider did not take the message.
            raise _retry(nid, "connect_failed") from None
        except TimeoutError:
            # The request was written; the answer did not come in time. It may have been accepted.
            raise _retry(nid, "timeout", ambiguous=True) from None
        except (ConnectionError, http.client.HTTPException, OSError):
            # Reset, remote disconnect or a garbled answer after the body was sent.
            raise _retry(nid, "connection_lost", ambiguous=True) from None
        status = int(response.status_code)
        if not 200 <= status < 300:
            raise _http_error(nid, status) from None
        message_id = response.headers.get("X-Message-Id") if response.headers else None
        log.info("email_sent", backend=self.name, notification_id=nid, message_id=message_id)
        return message_id

    def retry_after(self, headers) -> float:
        """Seconds to wait after a 429, from X-RateLimit-Reset (epoch) or Retry-After."""
        base = None
        reset = _header(headers, "X-RateLimit-Reset")
        if reset is not None:
            try:
                base = float(reset) - self._clock()
            except ValueError:
                base = None
        if base is None:
            after = _header(headers, "Retry-After")
            try:
                base = float(after) if after is not None else None
            except ValueError:
                base = None
        if base is None or base != base:  # missing, unparseable or NaN
            base = RATE_LIMIT_DEFAULT_SECONDS
        base = min(RATE_LIMIT_MAX_SECONDS, max(RATE_LIMIT_MIN_SECONDS, base))
        spread = min(5.0, base * 0.2)
        return min(RATE_LIMIT_MAX_SECONDS, base + self._jitter() * spread)


def _header(headers, name: str) -> str | None:
    if headers is None:
        return None
    value = headers.get(name)
    return value.strip() if isinstance(value, str) else None


def _http_error(nid: str, status: int) -> Exception:
    if status == 429 or status == 408:
        return _retry(nid, f"provider_{status}", status=status)
    if status >= 500:
        # A gateway timeout means an upstream may have taken the message before the gateway gave up.
        return _retry(nid, f"provider_{status}", ambiguous=status == 504, status=status)
    reason = _PERMANENT_REASONS.get(status, "client_error" if 400 <= status < 500 else "unexpected_status")
    log.warning("email_send_failed", notification_id=nid, reason=reason, status=status)
    return PermanentSendError(reason, status)


def _retry(
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


# --- MIME (SMTP and the file outbox) -----------------------------------------------------------


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


# --- SMTP --------------------------------------------------------------------------------------


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
                raise _retry(nid, "smtp_connection_lost", ambiguous=True) from None
            raise _retry(nid, "smtp_connect_failed" if phase == "connect" else "smtp_connection_lost") from None
        # Accepted: a failing QUIT must not turn a sent email into a retry.
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            _close(smtp)
        log.info("email_sent", backend=self.name, notification_id=nid, message_id=message_id)
        return message_id


def _smtp_code(nid: str, code: int) -> Exception:
    if 400 <= code < 500:
        return _retry(nid, f"smtp_{code}")
    log.warning("email_send_failed", notification_id=nid, reason=f"smtp_{code}", status=code)
    return PermanentSendError(f"smtp_{code}", code)


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.close()
        except OSError:
            pass


# --- File outbox (development) -----------------------------------------------------------------

_STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"
_OUTBOX_NAME = re.compile(r"^(?P<stamp>\d{8}T\d{12}Z)-(?P<nid>[A-Za-z0-9_-]+)\.eml$")


@dataclass(frozen=True)
class OutboxEntry:
    id: str  # file name without .eml: "<UTC timestamp>-<notification_id>"
    path: Path
    to: str
    subject: str
    date: datetime | None

    @property
    def notification_id(self) -> str:
        return self.id.partition("-")[2]


class OutboxLookupError(LookupError):
    """No outbox file, or more than one, matches the id or prefix."""


class FileOutboxBackend:
    """Writes each email as `<UTC timestamp>-<notification_id>.eml`, atomically (tmp + rename).

    Files are mode 0600: the outbox is for development, but addresses are still personal data.
    """

    name = "outbox"

    def __init__(self, folder: Path | str, from_email: str = "CareRoute <no-reply@careroute.local>") -> None:
        self.folder = Path(folder)
        self._from = from_email

    def __repr__(self) -> str:
        return f"FileOutboxBackend({str(self.folder)!r})"

    def send(self, email: OutgoingEmail) -> str | None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            stem = f"{datetime.now(timezone.utc).strftime(_STAMP_FORMAT)}-{email.notification_id}"
            data = build_mime(email, self._from).as_bytes(policy=policy.SMTP)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.folder / f"{stem}.eml")
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            raise _retry(email.notification_id, "outbox_write_failed") from None
        log.info("email_sent", backend=self.name, notification_id=email.notification_id, message_id=stem)
        return stem


def list_outbox(folder: Path | str) -> list[OutboxEntry]:
    """Outbox emails, oldest first (file names start with their UTC timestamp)."""
    root = Path(folder)
    if not root.is_dir():
        return []
    entries = []
    parser = BytesParser(policy=policy.default)
    for path in sorted(root.iterdir()):
        if not _OUTBOX_NAME.match(path.name):
            continue
        with path.open("rb") as fh:
            headers = parser.parse(fh, headersonly=True)
        try:
            date = parsedate_to_datetime(headers["Date"]) if headers["Date"] else None
        except (TypeError, ValueError):
            date = None
        entries.append(
            OutboxEntry(
                id=path.name[: -len(".eml")],
                path=path,
                to=str(headers["To"] or ""),
                subject=str(headers["Subject"] or ""),
                date=date,
            )
        )
    return entries


def find_outbox(folder: Path | str, id_or_prefix: str) -> OutboxEntry:
    """The one entry whose id, or notification id, starts with `id_or_prefix`."""
    wanted = id_or_prefix.strip().removesuffix(".eml")
    if not wanted:
        raise OutboxLookupError("empty id")
    entries = list_outbox(folder)
    exact = [e for e in entries if wanted in (e.id, e.notification_id)]
    matches = exact or [
        e for e in entries if e.id.startswith(wanted) or e.notification_id.startswith(wanted)
    ]
    if not matches:
        raise OutboxLookupError(f"no outbox email matches {wanted!r}")
    if len(matches) > 1:
        raise OutboxLookupError(f"{len(matches)} outbox emails match {wanted!r}; give more of the id")
    return matches[0]


def read_outbox(folder: Path | str, id_or_prefix: str) -> str:
    """The raw .eml text of one outbox email (line endings normalised for a terminal)."""
    entry = find_outbox(folder, id_or_prefix)
    return entry.path.read_bytes().decode("utf-8", errors="replace").replace("\r\n", "\n")


# --- Choosing a backend ------------------------------------------------------------------------


def build_backend(settings: Settings) -> EmailBackend:
    """The backend named by settings.email_backend."""
    if settings.email_backend == "sendgrid":
        if settings.sendgrid_api_key is None:
            raise ValueError("sendgrid backend needs CAREROUTE_SENDGRID_API_KEY")
        return SendGridBackend(
            api_key=settings.sendgrid_api_key.get_secret_value(),
            host=settings.sendgrid_host,
            timeout=settings.sendgrid_timeout_seconds,
            from_email=settings.email_from,
        )
    if settings.email_backend == "smtp":
        # No SMTP timeout setting of its own: `?timeout=` in the URL, else the email timeout.
        timeout = None if "timeout=" in settings.smtp_url else settings.sendgrid_timeout_seconds
        return SmtpBackend(settings.smtp_url, settings.email_from, timeout=timeout)
    if settings.email_backend == "outbox":
        return FileOutboxBackend(settings.outbox_dir, from_email=settings.email_from)
    raise ValueError("unknown email_backend")
