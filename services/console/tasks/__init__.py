"""The console runs no Celery tasks: it reads the read models and acts through the API."""
