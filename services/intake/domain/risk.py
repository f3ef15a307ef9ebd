"""The synchronous risk screen run inside the request, before anything else can fail.

It is deliberately high-recall: showing crisis resources to someone who did not need them costs
little; missing someone who did is the error we cannot afford. The worker's full triage decides
the real urgency afterwards.
"""

from __future__ import annotations


def screen_for_risk(*texts: str | None) -> bool:
    from services.triage import screen_text_for_risk

    return any(screen_text_for_risk(t) for t in texts if isinstance(t, str) and t)
