from flask import Blueprint

bp = Blueprint("storefront", __name__)

from . import helpers, views  # noqa: E402,F401
