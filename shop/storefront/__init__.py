from flask import Blueprint

bp = Blueprint("storefront", __name__)

from . import helpers, seo, views  # noqa: E402,F401
