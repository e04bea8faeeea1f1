"""WSGI entry point: ``gunicorn -c gunicorn.conf.py wsgi:app``; the ``flask`` CLI finds ``app`` here.

A bad setting stops the process with its explanation alone and exit status 2.
"""

import sys

from app import create_app
from config.settings import SettingsError

try:
    app = create_app()
except SettingsError as error:
    print(error, file=sys.stderr)
    sys.exit(2)
