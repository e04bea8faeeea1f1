"""WSGI entry point: ``gunicorn wsgi:app``; the ``flask`` CLI finds ``app`` here."""

from app import create_app

app = create_app()
