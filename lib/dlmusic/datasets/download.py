"""Download and unpack dataset archives: resumable, verified and safe.

:func:`download` fetches one URL with the standard library only. It writes to
``<dest>.part`` and resumes that file with an HTTP ``Range`` request after an
interruption, so a dropped Colab connection costs only the bytes still
missing. The finished file is checked against its published SHA-256 or MD5
before it is renamed into place, so a corrupt download never looks like a
good one. :func:`extract_zip` unpacks an archive once (a marker file records
success) and refuses members that would land outside the target folder.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import shutil
import urllib.error
import urllib.request
import zipfile
from email.message import Message
from pathlib import Path, PurePosixPath

from tqdm import tqdm

from dlmusic.errors import ChecksumError, DatasetError, DownloadError, MissingFileError

USER_AGENT = "dlmusic-downloader/0.1 (+https://pypi.org/project/dlmusic)"
"""The ``User-Agent`` header sent with every request."""

_CONTENT_RANGE = re.compile(r"bytes\s+(\d+|\*)(?:-(\d+))?/(\d+|\*)")


def file_checksum(
    path: str | Path, algorithm: str = "sha256", *, chunk_bytes: int = 1 << 20
) -> str:
    """Hex digest of a file's contents.

    Parameters
    ----------
    path : str or Path
        The file to hash.
    algorithm : str
        Any :mod:`hashlib` algorithm name, e.g. ``"sha256"`` or ``"md5"``.
    chunk_bytes : int
        Bytes read per step (memory use stays at one chunk).

    Returns
    -------
    str
        Lower-case hexadecimal digest.

    Raises
    ------
    MissingFileError
        ``path`` is not a file.
    ValueError
        ``algorithm`` is not known to :mod:`hashlib`.
    """
    path = Path(path)
    if algorithm.lower() not in hashlib.algorithms_available:
        raise ValueError(f"unknown hash algorithm {algorithm!r}")
    if not path.is_file():
        raise MissingFileError(f"cannot hash {path}: no such file")
    digest = hashlib.new(algorithm.lower())
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def download(
    url: str,
    dest: str | Path,
    *,
    sha256: str | None = None,
    md5: str | None = None,
    progress: bool = True,
    chunk_bytes: int = 1 << 20,
    timeout_s: float = 60,
) -> Path:
    """Download ``url`` to ``dest``, resuming a partial download and verifying it.

    Bytes go to ``<dest>.part`` first. When that file exists from an earlier,
    interrupted call, only the missing bytes are requested (``Range`` header);
    a server that ignores the range sends the whole file, which then replaces
    the partial one. The complete file is checked against ``sha256`` and/or
    ``md5`` and then renamed to ``dest`` in one atomic step.

    Parameters
    ----------
    url : str
        An ``http(s)://`` (or ``file://``) URL.
    dest : str or Path
        Where the file ends up; parent folders are created.
    sha256, md5 : str or None
        Published hex digests; every one given must match.
    progress : bool
        Show a progress bar (bytes, resumed bytes included).
    chunk_bytes : int
        Bytes read from the network per step.
    timeout_s : float
        Seconds to wait for the server to connect or send more data.

    Returns
    -------
    Path
        ``dest``. It is returned at once, without network access, when it
        already exists and matches the checksums (or when none are given).

    Raises
    ------
    DownloadError
        The server or network failed; the message names the URL. A partial
        file stays behind, so calling again resumes it.
    ChecksumError
        The complete file does not match; it is deleted, so calling again
        starts from scratch.
    """
    dest = Path(dest)
    expected = _expected_digests(sha256=sha256, md5=md5)
    if dest.is_file() and _digests_match(dest, expected):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = partial_path(dest)
    try:
        _fetch_to_part(url, part, progress=progress, chunk_bytes=chunk_bytes, timeout_s=timeout_s)
    except (OSError, http.client.HTTPException) as err:
        raise DownloadError(f"cannot download {url}: {err}") from err
    _verify_or_discard(part, expected, url)
    os.replace(part, dest)
    return dest


def partial_path(dest: str | Path) -> Path:
    """The ``.part`` file that :func:`download` writes before ``dest`` is complete."""
    dest = Path(dest)
    return dest.with_name(dest.name + ".part")


def _expected_digests(*, sha256: str | None, md5: str | None) -> dict[str, str]:
    """The checksums to verify, keyed by :mod:`hashlib` algorithm name."""
    given = {"sha256": sha256, "md5": md5}
    return {name: value.strip().lower() for name, value in given.items() if value}


def _digests_match(path: Path, expected: dict[str, str]) -> bool:
    """Whether ``path`` matches every expected digest (vacuously true for none)."""
    return all(file_checksum(path, name) == value for name, value in expected.items())


def _verify_or_discard(part: Path, expected: dict[str, str], url: str) -> None:
    """Raise :class:`ChecksumError` and delete ``part`` unless it matches ``expected``."""
    for name, value in expected.items():
        actual = file_checksum(part, name)
        if actual != value:
            part.unlink()
            raise ChecksumError(
                f"{url}: {name} of the downloaded file is {actual}, expected {value}; "
                "the file was deleted, run the download again"
            )


def _fetch_to_part(
    url: str, part: Path, *, progress: bool, chunk_bytes: int, timeout_s: float
) -> None:
    """Fetch the bytes of ``url`` missing from ``part`` (all of them if none exist).

    Raises :class:`DownloadError` when the connection ends before the size
    the server announced; ``part`` then holds what arrived, ready to resume.
    """
    offset = part.stat().st_size if part.is_file() else 0
    try:
        response = urllib.request.urlopen(_request(url, offset), timeout=timeout_s)
    except urllib.error.HTTPError as err:
        if err.code != 416 or offset == 0:
            raise
        if _content_range(err.headers)[1] == offset:
            return  # "Range Not Satisfiable": the partial file is already whole
        part.unlink()
        _fetch_to_part(url, part, progress=progress, chunk_bytes=chunk_bytes, timeout_s=timeout_s)
        return
    with response:
        total = _write_body(response, part, url, offset, progress=progress, chunk_bytes=chunk_bytes)
    size = part.stat().st_size
    if total is not None and size < total:
        raise DownloadError(
            f"cannot download {url}: connection closed after {size} of {total} bytes; "
            "run the download again to resume"
        )


def _write_body(
    response: http.client.HTTPResponse,
    part: Path,
    url: str,
    offset: int,
    *,
    progress: bool,
    chunk_bytes: int,
) -> int | None:
    """Append (``206``) or write (other replies) the response body to ``part``.

    Returns the full file size in bytes announced by the server, or ``None``.
    """
    start, total = _resume_point(response, offset)
    if start is None:
        part.unlink()
        raise DownloadError(
            f"cannot resume {url}: asked for bytes from {offset}, the server sent others; "
            "the partial file was deleted, run the download again"
        )
    bar = tqdm(
        total=total,
        initial=start,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=part.name.removesuffix(".part"),
        disable=not progress,
    )
    with bar, part.open("ab" if start else "wb") as handle:
        while chunk := response.read(chunk_bytes):
            handle.write(chunk)
            bar.update(len(chunk))
    return total


def _request(url: str, offset: int) -> urllib.request.Request:
    """A GET request for ``url``, asking for bytes from ``offset`` on when resuming."""
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    return urllib.request.Request(url, headers=headers)


def _resume_point(response: http.client.HTTPResponse, offset: int) -> tuple[int | None, int | None]:
    """Byte where writing starts and the full file size (``None`` where unknown).

    A ``206 Partial Content`` reply continues at ``offset`` (start ``None``
    when the server answered a different range); any other successful reply
    carries the whole file, so writing restarts at byte 0.
    """
    if getattr(response, "status", None) == 206:
        start, total = _content_range(response.headers)
        return (offset if start == offset else None), total
    length = response.headers.get("Content-Length", "")
    return 0, int(length) if length.isdigit() else None


def _content_range(headers: Message | None) -> tuple[int | None, int | None]:
    """``(first_byte, total_bytes)`` from a ``Content-Range`` header (``None`` where absent)."""
    value = headers.get("Content-Range", "") if headers is not None else ""
    match = _CONTENT_RANGE.fullmatch(value.strip())
    if match is None:
        return None, None
    start, _, total = match.groups()
    return (
        None if start == "*" else int(start),
        None if total == "*" else int(total),
    )


def extraction_marker(archive: str | Path, dest_dir: str | Path) -> Path:
    """The file :func:`extract_zip` writes in ``dest_dir`` once ``archive`` is unpacked."""
    return Path(dest_dir) / f".{Path(archive).name}.extracted"


def extract_zip(
    archive: str | Path,
    dest_dir: str | Path,
    *,
    strip_components: int = 0,
    progress: bool = False,
) -> Path:
    """Unpack a zip archive into ``dest_dir`` once, refusing unsafe member names.

    Parameters
    ----------
    archive : str or Path
        The ``.zip`` file.
    dest_dir : str or Path
        Target folder (created).
    strip_components : int
        Leading path components to drop from every member, as in
        ``tar --strip-components``: ``1`` unpacks ``maestro-v3.0.0/x.csv``
        to ``dest_dir/x.csv``. Members with nothing left are skipped.
    progress : bool
        Show a progress bar (members).

    Returns
    -------
    Path
        ``dest_dir``. When a previous call finished (its marker file, see
        :func:`extraction_marker`, exists) nothing is read, so the archive
        may since have been deleted.

    Raises
    ------
    DatasetError
        The archive is missing, is not a zip file, or names a member that is
        absolute or contains ``..`` (nothing is written in that case).
    """
    archive, dest_dir = Path(archive), Path(dest_dir)
    marker = extraction_marker(archive, dest_dir)
    if marker.is_file():
        return dest_dir
    if not archive.is_file():
        raise DatasetError(f"no archive to extract at {archive}")
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = _safe_members(bundle, archive, strip_components)
            dest_dir.mkdir(parents=True, exist_ok=True)
            for info, relative in tqdm(members, desc=archive.name, disable=not progress):
                _extract_member(bundle, info, dest_dir / relative)
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as err:
        raise DatasetError(f"{archive} is not a readable zip archive: {err}") from err
    marker.touch()
    return dest_dir


def _safe_members(
    bundle: zipfile.ZipFile, archive: Path, strip_components: int
) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """Every member with its target path relative to the destination, checked for safety."""
    members = []
    for info in bundle.infolist():
        name = info.filename.replace("\\", "/")
        path = PurePosixPath(name)
        if path.is_absolute() or re.match(r"^[A-Za-z]:", name) or ".." in path.parts:
            raise DatasetError(
                f"{archive} holds the unsafe member name {info.filename!r} "
                "(absolute or containing '..'); refusing to extract it"
            )
        parts = path.parts[strip_components:]
        if parts:
            members.append((info, PurePosixPath(*parts)))
    return members


def _extract_member(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> None:
    """Write one archive member (a folder or a file) to ``target``."""
    if info.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with bundle.open(info) as source, target.open("wb") as sink:
        shutil.copyfileobj(source, sink, length=1 << 20)
