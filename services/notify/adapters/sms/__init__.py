"""SMS backends: Twilio (production, and a local stand-in in tests) and a file outbox (the embedded
default). `sms_backend()` is the one the settings name, built once per process; None when off."""

from __future__ import annotations

from shared.settings import Settings, get_settings

from services.notify.adapters.sms.file_outbox import FileSmsOutbox
from services.notify.adapters.sms.twilio import TwilioSmsBackend
from services.notify.domain.page import SmsBackend

_backend: SmsBackend | None = None
STATUS_CALLBACK_PATH = "/v1/webhooks/twilio/status"


def build_sms_backend(settings: Settings) -> SmsBackend | None:
    if settings.sms_backend == "twilio":
        return TwilioSmsBackend(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token.get_secret_value(),
            from_number=settings.twilio_from_number,
            base_url=settings.twilio_base_url,
            timeout=settings.twilio_timeout_seconds,
            status_callback=settings.public_base_url.rstrip("/") + STATUS_CALLBACK_PATH,
        )
    if settings.sms_backend == "outbox":
        return FileSmsOutbox(settings.sms_outbox_dir)
    return None


def sms_backend() -> SmsBackend | None:
    global _backend
    if _backend is None:
        _backend = build_sms_backend(get_settings())
    return _backend


def reset_sms_backend() -> None:
    """Forget the cached backend (after settings change)."""
    global _backend
    _backend = None
