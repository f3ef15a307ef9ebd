"""The ASGI app `careroute api` serves: intake, with notify's webhook app mounted beside it.

Each service keeps its own app; this composition root is the only place they meet.
"""

from services.intake.api.app import create_app

app = create_app()
