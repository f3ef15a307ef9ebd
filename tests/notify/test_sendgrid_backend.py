"""The real sendgrid client against FakeSendGrid: every outcome maps to one of our two errors."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

import pytest

from shared.settings import Settings
from tests.notify.conftest import FROM, make_email
from tests.support.fake_sendgrid import (
    Accept,
    AcceptThenDrop,
    ClientError,
    FakeSendGrid,
    Hang,
    HtmlTooLarge,
    RateLimited,
    ServerError,
)

from services.notify.adapters.email import build_backend
from services.notify.adapters.email.sendgrid import SendGridBackend
from services.notify.domain.errors import PermanentSendError, RetryableSendError
from services.notify.domain.message import EmailBackend


def test_accepted_send_returns_the_message_id_and_posts_a_v3_body(fake_sendgrid, sendgrid_backend):
    message_id = sendgrid_backend.send(make_email("ntf-accept"))

    assert message_id == fake_sendgrid.message_ids[0]
    [body] = fake_sendgrid.accepted
    assert body["personalizations"][0]["to"] == [{"email": "coordinator@clinic.example"}]
    assert body["from"] == {"name": "CareRoute", "email": "no-reply@careroute.local"}
    assert body["subject"] == "[CareRoute] CRISIS lead R-7K3M9Q — acknowledge now"
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert sorted(body["categories"]) == ["careroute", "lead-assigned"]
    assert body["custom_args"] == {
        "notification_id": "ntf-accept",
        "kind": "lead_assigned",
        "reference": "R-7K3M9Q",
    }
    # Click tracking would rewrite the signed link through the provider.
    assert body["tracking_settings"]["click_tracking"]["enable"] is False
    assert body["tracking_settings"]["open_tracking"]["enable"] is False


def test_backend_satisfies_the_protocol_and_has_a_timeout(sendgrid_backend):
    assert isinstance(sendgrid_backend, EmailBackend)
    assert sendgrid_backend.name == "sendgrid"
    assert sendgrid_backend.timeout == 0.5


def test_rate_limit_waits_until_the_reset_header(fake_sendgrid):
    backend = SendGridBackend(fake_sendgrid.api_key, fake_sendgrid.url, 1.0, FROM, jitter=lambda: 0.0)
    fake_sendgrid.enqueue(RateLimited(reset_in=30))

    with pytest.raises(RetryableSendError) as caught:
        backend.send(make_email())

    assert caught.value.reason == "rate_limited"
    assert caught.value.ambiguous is False
    assert 28.0 <= caught.value.retry_after <= 30.5
    assert fake_sendgrid.accepted == []


def test_rate_limit_wait_has_bounded_jitter(fake_sendgrid):
    backend = SendGridBackend(fake_sendgrid.api_key, fake_sendgrid.url, 1.0, FROM, jitter=lambda: 1.0)
    fake_sendgrid.enqueue(RateLimited(reset_in=30))

    with pytest.raises(RetryableSendError) as caught:
        backend.send(make_email())

    assert 33.0 <= caught.value.retry_after <= 35.5  # at most 20% / 5 s on top


@pytest.mark.parametrize(("reset_in", "expected"), [(1000, 120.0), (-50, 1.0), (0.2, 1.0)])
def test_rate_limit_wait_is_clamped(fake_sendgrid, reset_in, expected):
    backend = SendGridBackend(fake_sendgrid.api_key, fake_sendgrid.url, 1.0, FROM, jitter=lambda: 0.0)
    fake_sendgrid.enqueue(RateLimited(reset_in=reset_in))

    with pytest.raises(RetryableSendError) as caught:
        backend.send(make_email())

    assert caught.value.retry_after == expected


def test_retry_after_reads_reset_then_retry_after_then_defaults():
    backend = SendGridBackend(
        "SG.k", "http://127.0.0.1:9", 1.0, FROM, clock=lambda: 970.0, jitter=lambda: 0.0
    )
    assert backend.retry_after({"X-RateLimit-Reset": "1000"}) == 30.0
    assert backend.retry_after({"Retry-After": "7"}) == 7.0
    assert backend.retry_after({"X-RateLimit-Reset": "soon"}) == 10.0
    assert backend.retry_after({}) == 10.0
    assert backend.retry_after({"Retry-After": "nan"}) == 10.0


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retryable_and_not_ambiguous(fake_sendgrid, sendgrid_backend, status):
    fake_sendgrid.enqueue(ServerError(status=status))

    with pytest.raises(RetryableSendError) as caught:
        sendgrid_backend.send(make_email())

    assert caught.value.reason == f"provider_{status}"
    assert caught.value.ambiguous is False
    assert caught.value.retry_after is None


def test_gateway_timeout_is_ambiguous(fake_sendgrid, sendgrid_backend):
    fake_sendgrid.enqueue(ServerError(status=504))

    with pytest.raises(RetryableSendError) as caught:
        sendgrid_backend.send(make_email())

    assert caught.value.ambiguous is True


@pytest.mark.parametrize(
    ("status", "reason"),
    [(400, "bad_request"), (401, "unauthorized"), (403, "forbidden"), (404, "not_found")],
)
def test_client_errors_are_permanent(fake_sendgrid, sendgrid_backend, status, reason):
    fake_sendgrid.enqueue(ClientError(status=status))

    with pytest.raises(PermanentSendError) as caught:
        sendgrid_backend.send(make_email())

    assert (caught.value.reason, caught.value.status) == (reason, status)


def test_wrong_api_key_is_permanent_401(fake_sendgrid):
    backend = SendGridBackend("SG.wrong-key", fake_sendgrid.url, 1.0, FROM)

    with pytest.raises(PermanentSendError) as caught:
        backend.send(make_email())

    assert caught.value.status == 401
    assert fake_sendgrid.accepted == []


def test_html_413_from_a_proxy_is_permanent(fake_sendgrid, sendgrid_backend):
    fake_sendgrid.enqueue(HtmlTooLarge())

    with pytest.raises(PermanentSendError) as caught:
        sendgrid_backend.send(make_email())

    assert (caught.value.reason, caught.value.status) == ("payload_too_large", 413)


def test_hanging_server_times_out_as_ambiguous(fake_sendgrid, sendgrid_backend):
    fake_sendgrid.enqueue(Hang(seconds=10))
    started = time.monotonic()

    with pytest.raises(RetryableSendError) as caught:
        sendgrid_backend.send(make_email())

    assert time.monotonic() - started < 3.0
    assert caught.value.reason == "timeout"
    assert caught.value.ambiguous is True


def test_accept_then_drop_is_ambiguous_and_the_provider_has_the_message(fake_sendgrid, sendgrid_backend):
    fake_sendgrid.enqueue(AcceptThenDrop())

    with pytest.raises(RetryableSendError) as caught:
        sendgrid_backend.send(make_email("ntf-dropped-answer"))

    assert caught.value.ambiguous is True
    assert [b["custom_args"]["notification_id"] for b in fake_sendgrid.accepted] == ["ntf-dropped-answer"]


def test_retry_after_ambiguous_loss_sends_at_most_two_copies(fake_sendgrid, sendgrid_backend):
    fake_sendgrid.enqueue(AcceptThenDrop(), Accept())
    email = make_email("ntf-twice")

    with pytest.raises(RetryableSendError):
        sendgrid_backend.send(email)
    assert sendgrid_backend.send(email) is not None

    assert len(fake_sendgrid.accepted) == 2
    assert fake_sendgrid.requests == 2


def test_connection_refused_is_retryable_and_not_ambiguous():
    with FakeSendGrid() as fake:
        url = fake.url  # a port that was just free and is now closed
    backend = SendGridBackend("SG.k", url, 1.0, FROM)

    with pytest.raises(RetryableSendError) as caught:
        backend.send(make_email())

    assert caught.value.reason == "connect_failed"
    assert caught.value.ambiguous is False


def test_http_client_logger_is_held_at_warning(sendgrid_backend):
    assert logging.getLogger("python_http_client").level == logging.WARNING
    assert logging.getLogger("python_http_client.client").getEffectiveLevel() == logging.WARNING


def test_api_key_never_reaches_logs_or_errors_even_at_debug(fake_sendgrid, caplog, capsys):
    api_key = fake_sendgrid.api_key
    caplog.set_level(logging.DEBUG)  # root at DEBUG, as a debugging session would set it
    backend = SendGridBackend(api_key, fake_sendgrid.url, 0.5, FROM)
    # Even someone turning the client's own loggers up cannot let the header lines through.
    family = [logging.getLogger("python_http_client"), logging.getLogger("python_http_client.client")]
    for logger in family:
        logger.setLevel(logging.DEBUG)
    try:
        fake_sendgrid.enqueue(
            Accept(), RateLimited(5), ServerError(503), ClientError(400), HtmlTooLarge(), AcceptThenDrop()
        )
        errors = []
        for _ in range(6):
            try:
                backend.send(make_email())
            except (RetryableSendError, PermanentSendError) as exc:
                errors.append(exc)
    finally:
        for logger in family:
            logger.setLevel(logging.WARNING)

    out = capsys.readouterr()
    assert fake_sendgrid.requests == 6
    # The key really was on the wire, so its absence below means something.
    assert any(f"Bearer {api_key}" in raw for raw in fake_sendgrid.raw_requests)
    assert api_key not in caplog.text
    assert not [r for r in caplog.records if r.name.startswith("python_http_client")]
    assert api_key not in out.out and api_key not in out.err
    for exc in errors:
        rendered = "".join(traceback.format_exception(exc)) + repr(exc) + str(exc)
        assert api_key not in rendered
        assert "coordinator@clinic.example" not in rendered
    assert api_key not in repr(backend)


def test_build_backend_picks_sendgrid_with_settings(fake_sendgrid, tmp_path):
    settings = Settings(
        email_backend="sendgrid",
        sendgrid_api_key=fake_sendgrid.api_key,
        sendgrid_host=fake_sendgrid.url,
        sendgrid_timeout_seconds=3,
        var_dir=tmp_path,
    )

    backend = build_backend(settings)

    assert isinstance(backend, SendGridBackend)
    assert backend.timeout == 3
    assert backend.send(make_email()) == fake_sendgrid.message_ids[0]


def test_another_process_can_send_to_the_fake(fake_sendgrid):
    # The end-to-end suite runs the worker as a subprocess: the fake must serve other processes.
    script = (
        "import sys\n"
        "from services.notify.adapters.email.sendgrid import SendGridBackend\n"
        "from tests.notify.conftest import make_email\n"
        "backend = SendGridBackend(sys.argv[1], sys.argv[2], 2.0, 'CareRoute <no-reply@careroute.local>')\n"
        "print(backend.send(make_email('ntf-from-subprocess')))\n"
    )
    repo = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", script, fake_sendgrid.api_key, fake_sendgrid.url],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(repo)},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert (
        fake_sendgrid.wait_for_accepted(1, timeout=5)[0]["custom_args"]["notification_id"]
        == "ntf-from-subprocess"
    )
    assert fake_sendgrid.message_ids[0] in result.stdout
