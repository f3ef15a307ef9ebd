"""Email backends, one per file: SendGrid (production), SMTP (a self-hosted relay), a file outbox
(development). `email_backend()` is the one the settings name, built once per process."""

from __future__ import annotations

from shared.settings import Settings, get_settings

from services.notify.adapters.email.file_outbox import FileOutboxBackend
from services.notify.adapters.email.sendgrid import SendGridBackend
from services.notify.adapters.email.smtp import SmtpBackend
from services.notify.domain.message import EmailBackend

_backend: EmailBackend | None = None


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


def email_backend() -> EmailBackend:
    global _backend
    if _backend is None:
        _backend = build_backend(get_settings())
    return _backend


def reset_email_backend() -> None:
    """Forget the cached backend (after settings change)."""
    global _backend
    _backend = None
