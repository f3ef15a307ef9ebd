"""structlog, configured once per process: JSON in production, readable locally.

Context (request_id, lead_id, task_id) is bound at the edges with contextvars, so one lead can be
followed across the API, the relay and every task. The last processor before rendering drops any
key that could hold PHI: code should never log such values, and this is the net under that rule.
"""

from __future__ import annotations

import logging
import sys

import structlog

from shared.settings import get_settings

# Keys that hold (or are likely to hold) protected health information.
PHI_KEYS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "patient_name",
        "full_name",
        "phone",
        "phone_number",
        "email",
        "email_address",
        "address",
        "message",
        "text",
        "note",
        "notes",
        "body",
        "content",
        "reason_text",
        "date_of_birth",
        "dob",
        "birth_date",
        "conditions",
        "condition",
        "primary_condition",
        "diagnosis",
        "evidence",
        "span",
        "contact",
    }
)
REDACTED = "[redacted]"


def drop_phi(_logger, _method, event_dict: dict) -> dict:
    for key in list(event_dict):
        if key.lower() in PHI_KEYS:
            event_dict[key] = REDACTED
    return event_dict


_configured: str | None = None


def configure_logging(service: str = "careroute", *, force: bool = False) -> None:
    global _configured
    if _configured and not force:
        return
    settings = get_settings()
    use_json = settings.log_format == "json" or (
        settings.log_format == "auto" and settings.env == "production"
    )
    shared_processors = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        drop_phi,
    ]
    renderer = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared_processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared_processors,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            lambda _l, _m, ed: {**ed, "service": service},
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # The SendGrid client's HTTP layer logs request headers, the bearer key included, at DEBUG.
    logging.getLogger("python_http_client").setLevel(logging.WARNING)
    # uvicorn's access log prints client IPs and paths; paths carry only ids.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    try:  # medspaCy's PyRuSH splitter logs every token of the note through loguru.
        from loguru import logger as loguru_logger

        loguru_logger.disable("PyRuSH")
    except ImportError:  # pragma: no cover
        pass
    _configured = service


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
