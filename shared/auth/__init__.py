"""Staff identity and access: passwords, second factor, sessions, lockout, the route and lead
access policy, break-the-glass grants. docs/security.md describes the whole; each module says why.

Platform code (its tables are `shared/schema/platform.py`'s): the caller dependency
(shared/http/deps.py) and every service's use cases build on it; the console's pages
(services/console) drive the sign-in flow.
"""
