"""The staff console: sign-in (password, then a TOTP code; enrolment), the signed-in landing page,
the PHI audit review and break-the-glass. The console proper (queue, lead page, call screen) is
built on this. It writes only platform tables (sessions, attempts, grants, audit, outbox)."""
