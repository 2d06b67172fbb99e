from flask import Blueprint

bp = Blueprint("checkout", __name__)

from . import views  # noqa: E402,F401
