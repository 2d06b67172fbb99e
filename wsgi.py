"""Entry point for gunicorn (``gunicorn wsgi:app``) and the flask CLI."""

import os
import sys

from shop import create_app
from shop.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    # One line that says what to set, not a traceback through Flask's app loading: the
    # message names the missing or wrong setting (tests/integration/test_cli.py).
    unset = "" if os.environ.get("SHOP_ENV") else (
        " SHOP_ENV is unset, so the production checks apply: for the local dev shop use "
        "`make dev` / `make admin EMAIL=…`, or set SHOP_ENV=development.")
    sys.exit(f"Cannot start the shop: {exc}.{unset}")
