"""SmtpBackend against a real local SMTP server (aiosmtpd): codes map like HTTP statuses."""

from __future__ import annotations

import asyncio
import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from shared.settings import Settings
from tests.notify.conftest import FROM, make_email

from services.notify.adapters.email import build_backend
from services.notify.adapters.email.smtp import SmtpBackend
from services.notify.domain.errors import PermanentSendError, RetryableSendError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """Accepts mail unless told to answer RCPT or DATA with a code, or to stall in DATA."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None
        self.data_delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_delay:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            await asyncio.sleep(self.data_delay)
        if self.data_reply:
            return self.data_reply
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield handler, controller
    finally:
        controller.stop()


def _backend(controller, timeout: float = 2.0, auth: str = "") -> SmtpBackend:
    return SmtpBackend(f"smtp://{auth}{controller.hostname}:{controller.port}", FROM, timeout=timeout)


def test_smtp_delivers_a_multipart_message(smtp_server):
    handler, controller = smtp_server

    message_id = _backend(controller).send(make_email("ntf-smtp"))

    [(mail_from, rcpts, content)] = handler.messages
    assert mail_from == "no-reply@careroute.local"
    assert rcpts == ["coordinator@clinic.example"]
    msg = message_from_bytes(content, policy=policy.default)
    assert msg["Message-ID"].strip("<>") == message_id
    assert msg["X-CareRoute-Notification-Id"] == "ntf-smtp"
    assert msg["Subject"] == "[CareRoute] CRISIS lead R-7K3M9Q — acknowledge now"
    assert msg.get_body(("plain",)).get_content().startswith("Hello,")


def test_smtp_4xx_is_retryable(smtp_server):
    handler, controller = smtp_server
    handler.rcpt_reply = "450 4.2.1 Mailbox busy, try later"

    with pytest.raises(RetryableSendError) as caught:
        _backend(controller).send(make_email())

    assert caught.value.reason == "smtp_450"
    assert caught.value.ambiguous is False


def test_smtp_5xx_recipient_is_permanent(smtp_server):
    handler, controller = smtp_server
    handler.rcpt_reply = "550 5.1.1 No such user"

    with pytest.raises(PermanentSendError) as caught:
        _backend(controller).send(make_email())

    assert (caught.value.reason, caught.value.status) == ("smtp_550", 550)


def test_smtp_4xx_after_data_is_retryable(smtp_server):
    handler, controller = smtp_server
    handler.data_reply = "451 4.3.0 Try again"

    with pytest.raises(RetryableSendError) as caught:
        _backend(controller).send(make_email())

    assert (caught.value.reason, caught.value.ambiguous) == ("smtp_451", False)


def test_smtp_5xx_after_data_is_permanent(smtp_server):
    handler, controller = smtp_server
    handler.data_reply = "554 5.7.1 Rejected"

    with pytest.raises(PermanentSendError) as caught:
        _backend(controller).send(make_email())

    assert caught.value.status == 554


def test_smtp_stall_after_data_is_ambiguous(smtp_server):
    handler, controller = smtp_server
    handler.data_delay = 2.0

    with pytest.raises(RetryableSendError) as caught:
        _backend(controller, timeout=0.5).send(make_email("ntf-stall"))

    assert caught.value.ambiguous is True
    assert len(handler.messages) == 1  # the server did get the whole message


def test_smtp_connection_refused_is_retryable_and_not_ambiguous():
    backend = SmtpBackend(f"smtp://127.0.0.1:{_free_port()}", FROM, timeout=1.0)

    with pytest.raises(RetryableSendError) as caught:
        backend.send(make_email())

    assert caught.value.reason == "smtp_connect_failed"
    assert caught.value.ambiguous is False


def test_smtp_login_uses_credentials_from_the_url_and_hides_them():
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        ok = auth_data.login == b"relay-user" and auth_data.password == b"p@ss:word"
        return AuthResult(success=ok, handled=False)

    handler = Recorder()
    controller = Controller(
        handler, hostname="127.0.0.1", port=_free_port(), authenticator=authenticator, auth_require_tls=False
    )
    controller.start()
    try:
        good = _backend(controller, auth="relay-user:p%40ss%3Aword@")
        good.send(make_email())
        assert "p@ss" not in repr(good) and "relay-user" not in repr(good)
        with pytest.raises(PermanentSendError) as caught:
            _backend(controller, auth="relay-user:wrong@").send(make_email())
        assert caught.value.status == 535
    finally:
        controller.stop()
    assert seen[0] == (b"relay-user", b"p@ss:word")
    assert len(handler.messages) == 1


def test_smtp_url_options_are_parsed():
    with pytest.raises(ValueError):
        SmtpBackend("http://mail.example", FROM)
    with pytest.raises(ValueError):
        SmtpBackend("smtps://mail.example?starttls=true", FROM)
    assert "465" in repr(SmtpBackend("smtps://mail.example", FROM))
    assert "starttls=True" in repr(SmtpBackend("smtp://mail.example:587?starttls=true&timeout=3", FROM))


def test_build_backend_picks_smtp(smtp_server, tmp_path):
    handler, controller = smtp_server
    settings = Settings(
        email_backend="smtp", smtp_url=f"smtp://127.0.0.1:{controller.port}", var_dir=tmp_path
    )

    backend = build_backend(settings)

    assert isinstance(backend, SmtpBackend)
    backend.send(make_email())
    assert len(handler.messages) == 1
