"""Fetch single members out of a remote zip archive with HTTP range requests.

A zip archive ends with a *central directory*: the name, offset, compressed
size, size and CRC-32 of every member. :class:`RangeFile` makes a URL look
like a seekable, read-only file whose reads are HTTP ``Range`` requests, so
:mod:`zipfile` can read that directory (a few requests of a few hundred
kilobytes for MAESTRO's 101 GB archive). :func:`fetch_members` then
downloads only the compressed bytes of the members asked for, one request
each, into ``<dest>.zpart`` files that resume after an interruption, and
inflates them. Every member is checked against the size and CRC-32 its
central-directory entry records before it is moved into place, so a file
that exists is a whole, verified file.

Servers that ignore ``Range`` (they answer ``200`` with the whole file) are
refused with a :class:`~dlmusic.errors.DownloadError`: reading a 101 GB
archive from its start to find one member is what this module avoids.
"""

from __future__ import annotations

import http.client
import io
import os
import struct
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path

from tqdm import tqdm

from dlmusic.datasets.download import USER_AGENT
from dlmusic.errors import ChecksumError, DatasetError, DownloadError

LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
"""A zip local file header: signature ... name length, extra-field length (30 bytes)."""
LOCAL_HEADER_SIGNATURE = b"PK\x03\x04"
READ_BUFFER_BYTES = 1 << 16
"""Small reads (headers) are served from a buffer of this many bytes: one request each."""
COMPRESSION_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
"""Member compressions :func:`fetch_members` inflates (stored and deflate)."""


class RangeFile(io.RawIOBase):
    """A remote file, read through HTTP ``Range`` requests.

    Parameters
    ----------
    url : str
        An ``http(s)://`` URL whose server honours ``Range`` (answers ``206``).
    timeout_s : float
        Seconds to wait for the server to connect or send more data.

    Attributes
    ----------
    size : int
        The file's length in bytes (from the first reply's ``Content-Range``).
    requests : int
        How many HTTP requests this object has made.

    Raises
    ------
    DownloadError
        The server fails, or answers without honouring ``Range``.
    """

    def __init__(self, url: str, *, timeout_s: float = 60) -> None:
        super().__init__()
        self.url = url
        self.timeout_s = timeout_s
        self.requests = 0
        self._position = 0
        with self.open_range(0, 0) as response:
            response.read()
            self.size = _total_size(response, url)

    def open_range(self, start: int, stop: int) -> http.client.HTTPResponse:
        """A response streaming bytes ``start..stop`` (inclusive) of the file.

        Raises
        ------
        DownloadError
            The request fails, or the reply is not ``206 Partial Content`` for that range.
        """
        request = urllib.request.Request(
            self.url, headers={"User-Agent": USER_AGENT, "Range": f"bytes={start}-{stop}"}
        )
        self.requests += 1
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout_s)
        except (OSError, http.client.HTTPException) as err:
            raise DownloadError(f"cannot read bytes {start}-{stop} of {self.url}: {err}") from err
        if getattr(response, "status", None) != 206:
            response.close()
            raise DownloadError(
                f"{self.url} does not support HTTP range requests (asked for bytes "
                f"{start}-{stop}, got status {response.status} with the whole file); "
                "single members cannot be fetched from it: download the whole archive instead"
            )
        first = _content_range_start(response)
        if first != start:
            response.close()
            raise DownloadError(f"{self.url} answered bytes from {first}, asked for {start}")
        return response

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        origin = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        self._position = max(0, origin + offset)
        return self._position

    def readinto(self, buffer: memoryview) -> int:
        wanted = min(len(buffer), self.size - self._position)
        if wanted <= 0:
            return 0
        with self.open_range(self._position, self._position + wanted - 1) as response:
            data = _read_exactly(response, wanted, self.url)
        buffer[:wanted] = data
        self._position += wanted
        return wanted


def remote_zip_members(url: str, *, timeout_s: float = 60) -> dict[str, zipfile.ZipInfo]:
    """The central directory of a remote zip archive: member name -> :class:`zipfile.ZipInfo`.

    Raises
    ------
    DownloadError
        The server fails or does not support range requests.
    DatasetError
        The file is not a zip archive.
    """
    raw = RangeFile(url, timeout_s=timeout_s)
    try:
        with zipfile.ZipFile(io.BufferedReader(raw, READ_BUFFER_BYTES)) as archive:
            return {info.filename: info for info in archive.infolist()}
    except zipfile.BadZipFile as err:
        raise DatasetError(f"{url} is not a readable zip archive: {err}") from err


def fetch_members(
    url: str,
    members: Mapping[zipfile.ZipInfo, str | Path],
    *,
    progress: bool = True,
    timeout_s: float = 60,
) -> list[Path]:
    """Download and verify members of a remote zip archive, each to its own path.

    A member whose destination already exists with the size its entry records
    is skipped (files only appear there once verified). Compressed bytes go to
    ``<dest>.zpart``; after an interruption only the missing ones are asked for.

    Parameters
    ----------
    url : str
        The archive's URL (its server must honour ``Range``).
    members : mapping of ZipInfo to path
        Entries of :func:`remote_zip_members` and where each member goes.
    progress : bool
        Show one progress bar over the compressed bytes of all members.
    timeout_s : float
        Seconds to wait for the server to connect or send more data.

    Returns
    -------
    list of Path
        The destinations, in the order of ``members``.

    Raises
    ------
    DownloadError
        The server fails or does not support range requests (partial files stay, to resume).
    ChecksumError
        A member's size or CRC-32 differs from its entry (its partial file is deleted).
    DatasetError
        A member is a folder, encrypted, or compressed with a method other than stored
        or deflate.
    """
    jobs = [(info, Path(dest)) for info, dest in members.items()]
    for info, _ in jobs:
        _check_fetchable(info, url)
    todo = [(info, dest) for info, dest in jobs if not _is_complete(dest, info)]
    if not todo:
        return [dest for _, dest in jobs]
    raw = RangeFile(url, timeout_s=timeout_s)
    done = sum(_zpart(dest).stat().st_size for _, dest in todo if _zpart(dest).is_file())
    total = sum(info.compress_size for info, _ in todo)
    with tqdm(
        total=total,
        initial=done,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=url.rsplit("/", 1)[-1],
        disable=not progress,
    ) as bar:
        for info, dest in todo:
            _fetch_member(raw, info, dest, bar)
    return [dest for _, dest in jobs]


def _check_fetchable(info: zipfile.ZipInfo, url: str) -> None:
    if info.is_dir():
        raise DatasetError(f"{info.filename} in {url} is a folder, not a file")
    if info.flag_bits & 0x1:
        raise DatasetError(f"{info.filename} in {url} is encrypted")
    if info.compress_type not in COMPRESSION_METHODS:
        raise DatasetError(
            f"{info.filename} in {url} uses zip compression method {info.compress_type}; "
            "only stored (0) and deflate (8) are supported"
        )


def _is_complete(dest: Path, info: zipfile.ZipInfo) -> bool:
    return dest.is_file() and dest.stat().st_size == info.file_size


def _zpart(dest: Path) -> Path:
    """Where the compressed bytes of ``dest``'s member collect while downloading."""
    return dest.with_name(dest.name + ".zpart")


def _fetch_member(raw: RangeFile, info: zipfile.ZipInfo, dest: Path, bar: tqdm) -> None:
    """Fetch one member's compressed bytes (resuming), inflate, verify, move into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = _zpart(dest)
    start = _data_offset(raw, info)
    have = part.stat().st_size if part.is_file() else 0
    if have > info.compress_size:
        part.unlink()
        have = 0
    if have < info.compress_size:
        with raw.open_range(start + have, start + info.compress_size - 1) as response:
            with part.open("ab") as sink:
                while chunk := response.read(1 << 20):
                    sink.write(chunk)
                    bar.update(len(chunk))
        if part.stat().st_size < info.compress_size:
            raise DownloadError(
                f"{raw.url}: connection closed during {info.filename} "
                f"({part.stat().st_size} of {info.compress_size} bytes); run again to resume"
            )
    _inflate_and_verify(part, info, dest, raw.url)


def _data_offset(raw: RangeFile, info: zipfile.ZipInfo) -> int:
    """Byte offset of a member's compressed data: after its local header, name and extra field."""
    with raw.open_range(info.header_offset, info.header_offset + LOCAL_HEADER.size - 1) as reply:
        header = LOCAL_HEADER.unpack(_read_exactly(reply, LOCAL_HEADER.size, raw.url))
    if header[0] != LOCAL_HEADER_SIGNATURE:
        raise DatasetError(f"{raw.url}: no local file header for {info.filename}")
    name_bytes, extra_bytes = header[9], header[10]
    return info.header_offset + LOCAL_HEADER.size + name_bytes + extra_bytes


def _inflate_and_verify(part: Path, info: zipfile.ZipInfo, dest: Path, url: str) -> None:
    """Decompress ``part`` to ``dest`` if its size and CRC-32 match ``info``; else delete it."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type else None
    tmp = dest.with_name(dest.name + ".tmp")
    crc, size = 0, 0
    with part.open("rb") as source, tmp.open("wb") as sink:
        while chunk := source.read(1 << 20):
            data = inflater.decompress(chunk) if inflater else chunk
            crc, size = zlib.crc32(data, crc), size + len(data)
            sink.write(data)
        if inflater:
            data = inflater.flush()
            crc, size = zlib.crc32(data, crc), size + len(data)
            sink.write(data)
    if (size, crc) != (info.file_size, info.CRC):
        part.unlink()
        tmp.unlink()
        raise ChecksumError(
            f"{url}: {info.filename} came out as {size} bytes with CRC-32 {crc:08x}, "
            f"its entry says {info.file_size} bytes with CRC-32 {info.CRC:08x}; "
            "the partial file was deleted, run again"
        )
    os.replace(tmp, dest)
    part.unlink()


def _total_size(response: http.client.HTTPResponse, url: str) -> int:
    value = response.headers.get("Content-Range", "")
    total = value.rsplit("/", 1)[-1].strip()
    if not total.isdigit():
        raise DownloadError(f"{url} did not say its size (Content-Range {value!r})")
    return int(total)


def _content_range_start(response: http.client.HTTPResponse) -> int | None:
    value = response.headers.get("Content-Range", "").strip()
    if not value.startswith("bytes ") or "-" not in value:
        return None
    first = value.removeprefix("bytes ").split("-", 1)[0]
    return int(first) if first.isdigit() else None


def _read_exactly(response: http.client.HTTPResponse, n_bytes: int, url: str) -> bytes:
    try:
        data = response.read(n_bytes)
    except (OSError, http.client.HTTPException) as err:
        raise DownloadError(f"cannot read from {url}: {err}") from err
    if len(data) != n_bytes:
        raise DownloadError(f"{url} sent {len(data)} bytes, expected {n_bytes}")
    return data
