"""Uploaded media (product images), served from the upload folder under a random name."""

from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("media", __name__)


@bp.get("/media/<path:name>")
def media(name: str):
    # send_from_directory refuses paths that leave the folder (404).
    response = send_from_directory(current_app.config["UPLOAD_DIR"], name, max_age=86400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
