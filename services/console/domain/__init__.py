"""Pure rules of the console (no FastAPI, SQL or Celery)."""
