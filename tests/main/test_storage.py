"""Uploaded files: atomic writes, names that cannot escape their folder, and a clear refusal when the disk does."""

from __future__ import annotations

import os

import pytest

from engage import storage


def test_saved_files_get_random_names_in_their_area(app_ctx, tmp_path):
    app_ctx.config["UPLOAD_FOLDER"] = str(tmp_path)
    first = storage.save("things", b"%PDF-1.4 one", "pdf")
    second = storage.save("things", b"%PDF-1.4 two", "pdf")
    assert first != second
    assert storage.path("things", first).read_bytes() == b"%PDF-1.4 one"
    assert sorted(p.name for p in (tmp_path / "things").iterdir()) == sorted([first, second])
    storage.remove("things", first)
    assert not storage.path("things", first).exists()


@pytest.mark.parametrize("name", ["../../etc/passwd", "..%2f..%2fsecret", "/etc/passwd", "abc.pdf", ""])
def test_stored_names_cannot_leave_the_area(app_ctx, name):
    with pytest.raises(FileNotFoundError):
        storage.path("things", name)


def test_a_full_disk_is_refused_with_a_message_and_leaves_nothing(app_ctx, tmp_path, monkeypatch):
    app_ctx.config["UPLOAD_FOLDER"] = str(tmp_path)

    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, handle, mode):
            self.stream = real_fdopen(handle, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.stream.close()

        def write(self, data):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage.os, "fdopen", FullDisk)
    with pytest.raises(storage.StorageError) as caught:
        storage.save("things", b"data", "pdf")
    assert caught.value.field == "file"
    assert "could not be saved" in caught.value.message
    assert list((tmp_path / "things").iterdir()) == []


def test_a_file_where_the_folder_should_be_is_refused(app_ctx, tmp_path):
    (tmp_path / "things").write_text("not a folder")
    app_ctx.config["UPLOAD_FOLDER"] = str(tmp_path)
    with pytest.raises(storage.StorageError):
        storage.save("things", b"data", "pdf")
