"""Uploaded media (product images' resized copies), served from the upload folder.

Names are random and never reused (services/catalog/media.py), so a file may be cached for
a year without asking again. Only ``products/`` is served: the originals kept beside it may
carry EXIF metadata.
"""

from flask import Blueprint, abort, current_app, send_from_directory

bp = Blueprint("media", __name__)

YEAR = 365 * 24 * 3600


@bp.get("/media/<path:name>")
def media(name: str):
    if not name.startswith("products/"):
        abort(404)
    # send_from_directory refuses paths that leave the folder (404).
    response = send_from_directory(current_app.config["UPLOAD_DIR"], name, max_age=YEAR)
    response.cache_control.public = True
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
