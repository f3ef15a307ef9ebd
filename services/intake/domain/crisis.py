"""Crisis resources shown at once, in the API response, when the text screens positive for risk.

The form and the call-center agent act on these immediately; the worker's full triage follows.
"""

from __future__ import annotations

_RESOURCES = {
    "en": {
        "message": "If you or someone else may be in danger, help is available right now, any hour.",
        "resources": [
            {"name": "988 Suicide & Crisis Lifeline", "how": "Call or text 988"},
            {"name": "Veterans Crisis Line", "how": "Call 988 and press 1, or text 838255"},
            {"name": "Emergency services", "how": "Call 911 if there is immediate danger"},
        ],
    },
    "es": {
        "message": "Si usted u otra persona puede estar en peligro, hay ayuda ahora mismo, a toda hora.",
        "resources": [
            {
                "name": "988 Línea de Prevención del Suicidio y Crisis",
                "how": "Llame o envíe un texto al 988 (opción 2 para español)",
            },
            {"name": "Línea de Crisis para Veteranos", "how": "Llame al 988 y marque 1"},
            {"name": "Emergencias", "how": "Llame al 911 si hay peligro inmediato"},
        ],
    },
}


def crisis_resources(language: str | None) -> dict:
    return _RESOURCES.get(language or "en", _RESOURCES["en"])
