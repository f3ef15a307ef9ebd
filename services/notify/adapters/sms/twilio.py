"""Twilio (production): the official client with a timeout, quiet logs and one error mapping.

`base_url` replaces https://api.twilio.com in every request the client makes, so tests and a
local stand-in exercise the real client's serialisation, auth header and error handling.
Failures map onto RetryableSendError (`ambiguous` when Twilio may already have the message) and
PermanentSendError, like the SendGrid backend's, so the page send path has one policy.
"""

from __future__ import annotations

import logging

import requests
import structlog
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from services.notify.domain.errors import PermanentSendError, RetryableSendError
from services.notify.domain.page import OutgoingSms

log = structlog.get_logger(__name__)
TWILIO_API = "https://api.twilio.com"


def quiet_twilio_logger() -> None:
    """twilio's HTTP client logs request headers and URLs at INFO: hold it at WARNING."""
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)


class _BaseUrlHttpClient(TwilioHttpClient):
    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout, logger=logging.getLogger("twilio.http_client"))
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


class TwilioSmsBackend:
    name = "twilio"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str,
        timeout: float,
        status_callback: str | None,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        quiet_twilio_logger()
        self._client = Client(account_sid, auth_token, http_client=_BaseUrlHttpClient(base_url, timeout))
        self._from = from_number
        self._status_callback = status_callback

    def __repr__(self) -> str:
        return "TwilioSmsBackend()"

    def send(self, sms: OutgoingSms) -> str | None:
        nid = sms.notification_id
        options = {"to": sms.to, "from_": self._from, "body": sms.body}
        if self._status_callback:
            options["status_callback"] = self._status_callback
        try:
            message = self._client.messages.create(**options)
        except TwilioRestException as exc:
            raise _rest_error(nid, int(exc.status)) from None
        except (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError):
            raise _retryable(nid, "connect_failed") from None
        except requests.exceptions.ConnectionError as exc:
            # Refused before anything was written is safe to resend; a connection lost after the
            # request went out may have been accepted.
            ambiguous = "NewConnectionError" not in repr(exc.args)
            raise _retryable(nid, "connection_lost" if ambiguous else "connect_failed", ambiguous) from None
        except requests.exceptions.Timeout:
            raise _retryable(nid, "timeout", ambiguous=True) from None
        except (requests.exceptions.RequestException, ValueError):
            # A garbled answer (not JSON) after the request was written.
            raise _retryable(nid, "bad_response", ambiguous=True) from None
        log.info("sms_sent", backend=self.name, notification_id=nid, message_id=message.sid)
        return message.sid


def _retryable(nid: str, reason: str, ambiguous: bool = False, status: int | None = None):
    log.warning("sms_send_retryable", notification_id=nid, reason=reason, status=status, ambiguous=ambiguous)
    return RetryableSendError(reason, ambiguous=ambiguous)


def _rest_error(nid: str, status: int) -> Exception:
    if status == 429:
        return _retryable(nid, "rate_limited", status=status)
    if status >= 500:
        return _retryable(nid, f"server_error_{status}", status=status)
    log.error("sms_send_rejected", notification_id=nid, status=status)
    return PermanentSendError(f"rejected_{status}", status=status)
