"""One settings class for every CareRoute process, read once from CAREROUTE_* variables.

The defaults are the embedded development setup (SQLite, a filesystem broker, a file outbox for
email), so `make run` needs no servers. Production sets the database, broker and email backend.
Nothing else in the code reads os.environ.
"""

from __future__ import annotations

import re
from functools import lru_cache
from ipaddress import ip_network
from pathlib import Path
from typing import Literal

from limits import parse_many
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAREROUTE_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    var_dir: Path = REPO_ROOT / "var"

    # Storage and broker
    database_url: str = ""  # default: sqlite file under var_dir
    broker_url: str = ""  # default: kombu filesystem transport under var_dir
    broker_publish_timeout_seconds: float = Field(2.0, gt=0, le=30)
    broker_visibility_timeout_seconds: int = Field(3600, ge=60)
    broker_key_prefix: str = ""  # isolates several deployments (or test runs) on one Redis

    # HTTP
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    public_base_url: str = ""  # default: http://{host}:{port}
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    enable_docs: bool = True

    # Secrets: signing links for coordinators. Development gets a fixed, clearly-marked key.
    secret_key: SecretStr = SecretStr("dev-only-not-secret-change-me")
    link_ttl_seconds: int = Field(7 * 24 * 3600, ge=60)

    # Staff sign-in and access (docs/security.md)
    session_idle_seconds: int = Field(900, ge=60)  # signed out after this long without a request
    session_max_seconds: int = Field(12 * 3600, ge=300)  # absolute lifetime of a sign-in
    login_lockout_threshold: int = Field(5, ge=1, le=100)  # failures before the first lockout
    login_lockout_base_seconds: int = Field(30, ge=1)  # first lockout; doubles with each failure
    login_lockout_max_seconds: int = Field(3600, ge=1)
    call_center_read_hours: float = Field(24.0, gt=0)  # an agent reads the calls they logged this long
    break_glass_seconds: int = Field(1800, ge=60, le=24 * 3600)  # an admin's emergency read of one lead
    break_glass_min_reason: int = Field(20, ge=5, le=200)  # characters of typed reason
    crisis_ack_contact_seconds: int = Field(900, ge=60)  # acknowledged crisis: contact due by then

    # Email
    email_backend: Literal["outbox", "sendgrid", "smtp"] = "outbox"
    email_from: str = "CareRoute <no-reply@careroute.local>"
    sendgrid_api_key: SecretStr | None = None
    sendgrid_host: str = "https://api.sendgrid.com"
    sendgrid_timeout_seconds: float = Field(10.0, gt=0, le=60)
    smtp_url: str = "smtp://127.0.0.1:1025"
    # Notify delivery tracking: SendGrid's Event Webhook verification key (base64 DER or PEM),
    # its replay window, when a sent email with no delivery event counts as lost, and when a
    # crisis email that still is not accepted raises the console alarm.
    sendgrid_webhook_public_key: str | None = None
    sendgrid_webhook_max_age_seconds: int = Field(300, ge=30, le=3600)
    notify_delivery_deadline_crisis_seconds: float = Field(600.0, gt=0)
    notify_delivery_deadline_other_seconds: float = Field(3600.0, gt=0)
    notify_crisis_send_deadline_seconds: float = Field(120.0, gt=0)
    notify_reconcile_interval_seconds: float = Field(60.0, gt=0)
    notify_digest_hour: int = Field(8, ge=0, le=23)  # local hour of each coordinator's digest
    # SMS pages (crisis and escalation) to the on-call person's pager phone: Twilio's Messages API
    # (the real client; CAREROUTE_TWILIO_BASE_URL points it at a stand-in in tests), or a file
    # outbox under var/sms-outbox/ on the embedded default. The auth token also verifies
    # X-Twilio-Signature on the inbound reply and status-callback webhooks.
    sms_backend: Literal["outbox", "twilio", "off"] = "outbox"
    twilio_account_sid: str = "AC00000000000000000000000000000000"
    twilio_auth_token: SecretStr = SecretStr("dev-only-twilio-auth-token")
    twilio_from_number: str = "+15005550006"
    twilio_base_url: str = "https://api.twilio.com"
    twilio_timeout_seconds: float = Field(10.0, gt=0, le=60)
    referral_link_ttl_seconds: int = Field(90 * 24 * 3600, ge=60)

    # FHIR R4 referrals (docs/fhir.md): the body limit of the two FHIR POSTs (a Bundle may carry a
    # PDF), the largest PDF, the clinic named as the Task's owner, SMART access token lifetime.
    fhir_max_body_bytes: int = Field(8 * 1024 * 1024, ge=64 * 1024, le=64 * 1024 * 1024)
    fhir_max_attachment_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    fhir_clinic_name: str = Field("CareRoute clinic", min_length=1, max_length=120)
    fhir_clinic_identifier_system: str = Field("https://careroute.dev/fhir/sid/clinic", max_length=255)
    fhir_clinic_identifier_value: str = Field("careroute", min_length=1, max_length=64)
    smart_access_token_seconds: int = Field(300, ge=60, le=3600)

    # Pipeline timing
    relay_poll_seconds: float = Field(0.05, gt=0, le=10)
    sweep_interval_seconds: float = Field(15.0, gt=0)
    stuck_crisis_seconds: float = Field(60.0, gt=0)
    stuck_other_seconds: float = Field(180.0, gt=0)
    classify_max_attempts: int = Field(5, ge=1, le=50)
    task_time_limit_seconds: int = Field(120, ge=5)
    # Beat on Redis keeps its schedule and a leader lock there (RedBeat): a second replica waits
    # for the lock and takes over at most this long after the leader dies without releasing it.
    beat_lock_timeout_seconds: int = Field(30, ge=5, le=600)

    # Logs
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "INFO"

    # PHI at rest (shared/crypto.py): `id:base64key,...` (32-byte AES keys) and the id new values
    # are written under. Unset outside production: one key derived from the development secret.
    phi_keys: SecretStr | None = None
    phi_active_key_id: str = ""

    # The public edge (shared/http/edge.py, shared/ratelimit.py): limits as `N/period;N/period`
    # per route group, kept in Redis (the broker's, unless set) or per process on the embedded
    # default; the proxies whose X-Forwarded-For is believed; header and read limits.
    rate_limit_enabled: bool = True
    rate_limit_storage_url: str = ""  # default: the broker's Redis, else memory:// (per process)
    rate_limit_public_form: str = "10/minute;60/hour"
    rate_limit_api_key: str = "600/minute"
    rate_limit_sign_in: str = "10/minute;50/hour"  # password and code attempts
    rate_limit_fhir_token: str = "30/minute;300/hour"  # SMART token requests
    trusted_proxies: str = ""  # CIDRs, comma-separated, e.g. "10.0.0.0/8,127.0.0.1/32"
    max_header_count: int = Field(100, ge=20, le=1000)
    max_header_bytes: int = Field(16 * 1024, ge=4096, le=1024 * 1024)
    header_read_timeout_seconds: float = Field(10.0, gt=0, le=300)
    body_read_timeout_seconds: float = Field(20.0, gt=0, le=600)
    # Spam defence on the public form, and the window in which an identical resubmission is the
    # same lead.
    form_min_fill_seconds: float = Field(3.0, ge=0, le=600)
    form_token_max_age_seconds: int = Field(24 * 3600, ge=60)
    duplicate_window_seconds: int = Field(600, ge=0, le=7 * 24 * 3600)
    # The clinic's own sites: origins (scheme://host[:port], comma-separated) that may embed the
    # public form /inquiry in an iframe (its frame-ancestors), and that may call the JSON API from
    # a browser (CORS, no credentials). Both closed when empty.
    embed_origins: str = ""
    cors_origins: str = ""
    # Referral form attachments (PDF only, checked by content): size of one, and how many.
    referral_pdf_max_bytes: int = Field(5 * 1024 * 1024, ge=1024, le=50 * 1024 * 1024)
    referral_pdf_max_files: int = Field(5, ge=0, le=20)
    # The consent wording a new lead is recorded against (texts in services/intake/consent/).
    consent_version: str = Field("2026-11", pattern=r"^[A-Za-z0-9._-]{1,32}$")

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        self.var_dir = self.var_dir.resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'careroute.db'}"
        if not self.broker_url:
            self.broker_url = "filesystem://"
        if not self.public_base_url:
            self.public_base_url = f"http://{self.host}:{self.port}"
        if self.env == "production":
            if self.secret_key.get_secret_value().startswith("dev-only"):
                raise ValueError("CAREROUTE_SECRET_KEY must be set in production")
            if self.database_url.startswith("sqlite"):
                raise ValueError("production needs PostgreSQL (CAREROUTE_DATABASE_URL)")
            if not self.phi_keys or not self.phi_active_key_id:
                raise ValueError(
                    "production needs CAREROUTE_PHI_KEYS and CAREROUTE_PHI_ACTIVE_KEY_ID (see docs/security.md)"
                )
        self._check_edge()
        if self.email_backend == "sendgrid" and not self.sendgrid_api_key:
            raise ValueError("CAREROUTE_SENDGRID_API_KEY is required with email_backend=sendgrid")
        twilio_token = self.twilio_auth_token.get_secret_value()
        if self.env == "production" and self.sms_backend == "twilio" and twilio_token.startswith("dev-only"):
            raise ValueError("CAREROUTE_TWILIO_AUTH_TOKEN must be set with sms_backend=twilio")
        # A retry delay or time limit longer than the visibility timeout makes Redis redeliver the
        # task while it still runs: keep a wide margin.
        if self.task_time_limit_seconds * 2 > self.broker_visibility_timeout_seconds:
            raise ValueError("task_time_limit_seconds must be under half the visibility timeout")
        return self

    def _check_edge(self) -> None:
        from shared.crypto import build_keyring  # here: shared.crypto imports this module

        build_keyring(self)  # bad keys, or an active id with no key, stop the process here
        groups = ("public_form", "api_key", "sign_in", "fhir_token")
        for name in (f"rate_limit_{group}" for group in groups):
            try:
                parse_many(getattr(self, name))
            except ValueError:
                raise ValueError(f"CAREROUTE_{name.upper()} must look like 10/minute;100/hour") from None
        try:
            [
                ip_network(part.strip(), strict=False)
                for part in self.trusted_proxies.split(",")
                if part.strip()
            ]
        except ValueError:
            raise ValueError("CAREROUTE_TRUSTED_PROXIES must be comma-separated CIDRs") from None
        self.embed_origin_list, self.cors_origin_list  # noqa: B018  (a bad origin stops the process here)

    @property
    def embed_origin_list(self) -> list[str]:
        return _origins(self.embed_origins, "CAREROUTE_EMBED_ORIGINS")

    @property
    def cors_origin_list(self) -> list[str]:
        return _origins(self.cors_origins, "CAREROUTE_CORS_ORIGINS")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def outbox_dir(self) -> Path:
        return self.var_dir / "outbox"

    @property
    def sms_outbox_dir(self) -> Path:
        return self.var_dir / "sms-outbox"

    @property
    def broker_dir(self) -> Path:
        return self.var_dir / "broker"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """Tests and the CLI change the environment and then call this."""
    get_settings.cache_clear()


def _origins(value: str, name: str) -> list[str]:
    """`https://clinic.example, https://www.clinic.example` -> the origins, checked: a scheme and
    a host, nothing else (no path, no wildcard), because they go into CSP and CORS headers."""
    out = []
    for part in (p.strip().rstrip("/") for p in value.split(",")):
        if not part:
            continue
        if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?", part):
            raise ValueError(f"{name}: each origin must be scheme://host[:port], without a path or wildcard")
        out.append(part.lower())
    return out
