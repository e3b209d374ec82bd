"""Entry attachments: sniffed by content (never by name or the browser's type), size-capped, stored privately.

PDF, DOCX, PNG and JPEG only. A DOCX is a zip file: it must contain word/document.xml, and its members must not
expand beyond MAX_UNZIPPED_BYTES in total (no zip bombs).
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

import filetype

MAX_BYTES = 10 * 1024 * 1024
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000
KINDS = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/zip": "docx",  # checked below: only a zip that is a Word document passes
}
MIMETYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
KIND_LABELS = {"pdf": "PDF", "png": "PNG image", "jpg": "JPEG image", "docx": "Word document"}
WRONG_TYPE = "The selected file must be a PDF, Word document (DOCX), PNG or JPEG"


class UploadError(ValueError):
    pass


@dataclass
class CheckedFile:
    data: bytes
    kind: str
    filename: str


def _docx_ok(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                return False
            if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
                return False
            return "word/document.xml" in {m.filename for m in members}
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def safe_filename(name: str) -> str:
    """A display name: no path, no control characters, at most 150 characters."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip().lstrip(".")
    return name[-150:] or "attachment"


def check(stream: BinaryIO, filename: str, max_bytes: int = MAX_BYTES) -> CheckedFile:
    data = stream.read(max_bytes + 1)
    if not data:
        raise UploadError("The selected file is empty")
    if len(data) > max_bytes:
        raise UploadError(f"The selected file must be smaller than {max_bytes // (1024 * 1024)}MB")
    guess = filetype.guess(data)
    kind = KINDS.get(guess.mime) if guess else None
    if kind is None:
        raise UploadError(WRONG_TYPE)
    if kind == "docx" and not _docx_ok(data):
        raise UploadError(WRONG_TYPE)
    return CheckedFile(data=data, kind=kind, filename=safe_filename(filename))
