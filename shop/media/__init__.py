"""Uploaded media (product images' resized copies), served from the upload folder.

Names are random and never reused (services/catalog/media.py), so a file may be cached for
a year without asking again. Only ``products/`` is served: the originals kept beside it may
carry EXIF metadata.
"""

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

bp = Blueprint("media", __name__)

YEAR = 365 * 24 * 3600
SERVED = "products"


@bp.get("/media/<path:name>")
def media(name: str):
    folder, _, rest = name.partition("/")
    if folder != SERVED or not rest:
        abort(404)
    # Joined under products/ itself: send_from_directory refuses a path that leaves the
    # folder it is given (404), so "products/../originals/…" is not served.
    response = send_from_directory(Path(current_app.config["UPLOAD_DIR"]) / SERVED, rest,
                                   max_age=YEAR)
    response.cache_control.public = True
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
