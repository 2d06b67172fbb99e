from flask import Blueprint

bp = Blueprint("orders", __name__)

from . import instructions, views  # noqa: E402,F401
