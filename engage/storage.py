"""Uploaded files, kept outside the web root under UPLOAD_FOLDER/<area>/ with random names.

One place writes them: atomically (a temporary file renamed into place), and a full or unwritable disk becomes a
clear message for the person uploading, with nothing saved, rather than an error page.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import tempfile
from pathlib import Path

from flask import current_app

from engage.services import ServiceError

log = logging.getLogger(__name__)
STORED_NAME = re.compile(r"[0-9a-f]{32}\.[a-z0-9]{2,5}")
COULD_NOT_SAVE = "The file could not be saved because of a problem on our side. Try again later: nothing was saved"


class StorageError(ServiceError):
    """The disk refused the file."""


def area_folder(area: str) -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / area


def save(area: str, data: bytes, extension: str, field: str = "file") -> str:
    """Write `data` as a new file in `area`; returns its stored name. Raises StorageError if the disk refuses."""
    folder = area_folder(area)
    name = f"{secrets.token_hex(16)}.{extension}"
    temporary = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, folder / name)
    except OSError as exc:
        log.error("could not store an upload in %s: %s", folder, exc)
        if temporary:
            Path(temporary).unlink(missing_ok=True)
        raise StorageError(COULD_NOT_SAVE, field=field) from exc
    return name


def path(area: str, stored_name: str) -> Path:
    """The file behind a stored name; names are checked, so no path can leave the area."""
    if not STORED_NAME.fullmatch(stored_name or ""):
        raise FileNotFoundError("not a stored file name")
    return area_folder(area) / stored_name


def remove(area: str, stored_name: str) -> None:
    try:
        path(area, stored_name).unlink(missing_ok=True)
    except OSError as exc:  # a file left behind is tidied by hand; the record is gone either way
        log.warning("could not remove %s/%s: %s", area, stored_name, exc)
