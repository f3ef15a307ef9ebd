"""SendGrid (production): the official client with a timeout, quiet logs and one error mapping.

Failures map onto RetryableSendError (with `ambiguous` when SendGrid may already have the message)
and PermanentSendError, so the send path needs one policy.
"""

from __future__ import annotations

import http.client
import logging
import random
import time
import urllib.error
from collections.abc import Callable

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

from services.notify.adapters.email.common import retryable
from services.notify.domain.errors import PermanentSendError
from services.notify.domain.message import OutgoingEmail

log = structlog.get_logger(__name__)

RATE_LIMIT_MIN_SECONDS = 1.0
RATE_LIMIT_MAX_SECONDS = 120.0
RATE_LIMIT_DEFAULT_SECONDS = 10.0

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
            raise retryable(nid, "rate_limited", retry_after=wait, status=429) from None
        except HTTPError as exc:
            raise _http_error(nid, int(exc.status_code)) from None
        except urllib.error.URLError:
            # urllib raises URLError only while connecting or writing the request, before any
            # answer could exist: the provider did not take the message.
            raise retryable(nid, "connect_failed") from None
        except TimeoutError:
            # The request was written; the answer did not come in time. It may have been accepted.
            raise retryable(nid, "timeout", ambiguous=True) from None
        except (ConnectionError, http.client.HTTPException, OSError):
            # Reset, remote disconnect or a garbled answer after the body was sent.
            raise retryable(nid, "connection_lost", ambiguous=True) from None
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
        return retryable(nid, f"provider_{status}", status=status)
    if status >= 500:
        # A gateway timeout means an upstream may have taken the message before the gateway gave up.
        return retryable(nid, f"provider_{status}", ambiguous=status == 504, status=status)
    reason = _PERMANENT_REASONS.get(status, "client_error" if 400 <= status < 500 else "unexpected_status")
    log.warning("email_send_failed", notification_id=nid, reason=reason, status=status)
    return PermanentSendError(reason, status)
