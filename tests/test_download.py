"""Resumable, verified downloads and safe zip extraction, against a local HTTP server."""

from __future__ import annotations

import hashlib
import re
import socket
import zipfile
from pathlib import Path

import pytest

from dlmusic.datasets.download import (
    download,
    extract_zip,
    extraction_marker,
    file_checksum,
    partial_path,
)
from dlmusic.errors import ChecksumError, DatasetError, DownloadError

PAYLOAD = bytes(range(256)) * 400  # 102,400 bytes


@pytest.fixture
def server(file_server):
    file_server.files["data.bin"] = PAYLOAD
    return file_server


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_download_fetches_whole_file_and_verifies_sha256(server, tmp_path):
    dest = download(
        server.url("data.bin"),
        tmp_path / "sub" / "data.bin",
        sha256=sha256_of(PAYLOAD),
        progress=False,
    )
    assert dest.read_bytes() == PAYLOAD
    assert not partial_path(dest).exists()
    assert server.requests == [("/data.bin", None)]


def test_download_verifies_md5(server, tmp_path):
    md5 = hashlib.md5(PAYLOAD).hexdigest()
    dest = download(server.url("data.bin"), tmp_path / "data.bin", md5=md5, progress=False)
    assert dest.read_bytes() == PAYLOAD


def test_download_resumes_from_partial_file(server, tmp_path):
    dest = tmp_path / "data.bin"
    partial_path(dest).write_bytes(PAYLOAD[:40_000])
    download(server.url("data.bin"), dest, sha256=sha256_of(PAYLOAD), progress=False)
    assert dest.read_bytes() == PAYLOAD
    assert server.requests == [("/data.bin", "bytes=40000-")]


def test_download_restarts_when_server_ignores_range(server, tmp_path):
    server.mode = "ignore-range"
    dest = tmp_path / "data.bin"
    partial_path(dest).write_bytes(b"stale bytes that must not survive")
    download(server.url("data.bin"), dest, sha256=sha256_of(PAYLOAD), progress=False)
    assert dest.read_bytes() == PAYLOAD


def test_download_interrupted_mid_stream_keeps_partial_file_and_resumes(server, tmp_path):
    dest = tmp_path / "data.bin"
    server.mode = "truncate"
    with pytest.raises(DownloadError, match="connection closed after 51200 of 102400 bytes"):
        download(server.url("data.bin"), dest, progress=False)
    assert partial_path(dest).stat().st_size == len(PAYLOAD) // 2
    assert not dest.exists()

    server.mode = "range"
    download(server.url("data.bin"), dest, sha256=sha256_of(PAYLOAD), progress=False)
    assert dest.read_bytes() == PAYLOAD
    assert server.requests[-1] == ("/data.bin", "bytes=51200-")


def test_download_of_complete_partial_file_finishes_without_new_bytes(server, tmp_path):
    dest = tmp_path / "data.bin"
    partial_path(dest).write_bytes(PAYLOAD)
    download(server.url("data.bin"), dest, sha256=sha256_of(PAYLOAD), progress=False)
    assert dest.read_bytes() == PAYLOAD
    assert server.requests == [("/data.bin", f"bytes={len(PAYLOAD)}-")]


def test_download_with_wrong_checksum_raises_and_leaves_no_file(server, tmp_path):
    dest = tmp_path / "data.bin"
    with pytest.raises(ChecksumError, match="sha256"):
        download(server.url("data.bin"), dest, sha256="0" * 64, progress=False)
    assert not dest.exists()
    assert not partial_path(dest).exists()


def test_download_skips_existing_file_with_matching_checksum(server, tmp_path):
    dest = tmp_path / "data.bin"
    dest.write_bytes(PAYLOAD)
    download(server.url("data.bin"), dest, sha256=sha256_of(PAYLOAD), progress=False)
    assert server.requests == []


def test_download_replaces_existing_file_with_wrong_checksum(server, tmp_path):
    dest = tmp_path / "data.bin"
    dest.write_bytes(b"corrupt")
    download(server.url("data.bin"), dest, sha256=sha256_of(PAYLOAD), progress=False)
    assert dest.read_bytes() == PAYLOAD


def test_download_of_missing_url_raises_download_error_naming_it(server, tmp_path):
    url = server.url("absent.bin")
    with pytest.raises(DownloadError, match=re.escape(url)):
        download(url, tmp_path / "absent.bin", progress=False)


def unused_port() -> int:
    """A local TCP port that nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_download_from_unreachable_host_raises_download_error(tmp_path):
    url = f"http://127.0.0.1:{unused_port()}/data.bin"
    with pytest.raises(DownloadError, match=re.escape(url)):
        download(url, tmp_path / "data.bin", progress=False, timeout_s=5)
    assert not (tmp_path / "data.bin").exists()


def test_download_restarts_when_partial_file_is_longer_than_remote_file(server, tmp_path):
    dest = tmp_path / "data.bin"
    partial_path(dest).write_bytes(PAYLOAD + b"bytes of an older, longer version")
    download(server.url("data.bin"), dest, sha256=sha256_of(PAYLOAD), progress=False)
    assert dest.read_bytes() == PAYLOAD
    assert server.requests == [("/data.bin", f"bytes={len(PAYLOAD) + 33}-"), ("/data.bin", None)]


def test_file_checksum_matches_hashlib(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(PAYLOAD)
    assert file_checksum(path, "sha256", chunk_bytes=1000) == sha256_of(PAYLOAD)
    assert file_checksum(path, "md5") == hashlib.md5(PAYLOAD).hexdigest()


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
    return path


def test_extract_zip_unpacks_members_and_strips_top_folder(tmp_path):
    archive = make_zip(tmp_path / "a.zip", {"top/x.txt": b"x", "top/sub/y.txt": b"y"})
    out = extract_zip(archive, tmp_path / "out", strip_components=1)
    assert (out / "x.txt").read_bytes() == b"x"
    assert (out / "sub" / "y.txt").read_bytes() == b"y"
    assert extraction_marker(archive, out).is_file()


def test_extract_zip_is_idempotent_even_after_archive_is_deleted(tmp_path):
    archive = make_zip(tmp_path / "a.zip", {"x.txt": b"x"})
    out = extract_zip(archive, tmp_path / "out")
    (out / "x.txt").write_bytes(b"edited")
    archive.unlink()
    assert extract_zip(archive, out) == out
    assert (out / "x.txt").read_bytes() == b"edited"


@pytest.mark.parametrize(
    "name", ["../evil.txt", "ok/../../evil.txt", "/etc/evil.txt", "C:/evil.txt"]
)
def test_extract_zip_rejects_path_traversal(tmp_path, name):
    archive = make_zip(tmp_path / "a.zip", {"fine.txt": b"ok", name: b"evil"})
    out = tmp_path / "deep" / "out"
    with pytest.raises(DatasetError, match="unsafe member"):
        extract_zip(archive, out)
    assert not out.exists()
    assert not list(tmp_path.rglob("evil.txt"))


def test_extract_zip_of_corrupt_archive_raises_dataset_error(tmp_path):
    archive = tmp_path / "a.zip"
    archive.write_bytes(b"not a zip")
    with pytest.raises(DatasetError, match="not a readable zip"):
        extract_zip(archive, tmp_path / "out")


def test_download_progress_bar_counts_resumed_bytes(server, tmp_path, capsys):
    dest = tmp_path / "data.bin"
    partial_path(dest).write_bytes(PAYLOAD[:40_000])
    download(server.url("data.bin"), dest, progress=True)
    assert "100k/100k" in capsys.readouterr().err
