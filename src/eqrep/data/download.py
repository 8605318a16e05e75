"""Checksummed downloads shared by every data set of the book.

:func:`fetch` tries a list of URLs in order, streams the first that answers into a temporary
file next to the target, verifies its digest (SHA-256, or MD5 where the publisher only gives
MD5) and only then moves it into place, so an interrupted or tampered download never leaves a
file that looks valid. Without internet it raises :class:`DownloadError`, whose message says
what to do instead (each data set passes its own hint, e.g. the offline MNIST sample).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

__all__ = ["DownloadError", "CorruptFileError", "file_digest", "sha256_of", "md5_of", "fetch"]


class DownloadError(RuntimeError):
    """A file could not be downloaded from any mirror (usually: no internet)."""


class CorruptFileError(ValueError):
    """A downloaded or cached file has the wrong checksum or is not in the expected format."""


def file_digest(path: Path | str, algorithm: str = "sha256") -> str:
    """Hex digest of a file (``algorithm``: any name :func:`hashlib.new` knows)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_of(path: Path | str) -> str:
    """Hex SHA-256 digest of a file."""
    return file_digest(path, "sha256")


def md5_of(path: Path | str) -> str:
    """Hex MD5 digest of a file."""
    return file_digest(path, "md5")


def fetch(urls: Sequence[str], target: Path | str, checksum: str, algorithm: str = "sha256",
          timeout: float = 30.0, verbose: bool = True, hint: str = "") -> Path:
    """Download ``target`` from the first working URL and verify its digest.

    A ``target`` that already exists with the right digest is returned without downloading.

    Args:
        urls: Candidate URLs, tried in order.
        target: Where the verified file goes (its folder is created).
        checksum: Expected hex digest.
        algorithm: ``"sha256"`` or ``"md5"`` (as published for the file).
        hint: Appended to the :class:`DownloadError` message (what to do without internet).

    Raises:
        DownloadError: no URL could deliver the file.
        CorruptFileError: a URL delivered a file with the wrong digest.
    """
    target = Path(target)
    name = algorithm.upper().replace("SHA", "SHA-")
    if target.exists() and file_digest(target, algorithm) == checksum:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    errors = []
    for url in urls:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response, os.fdopen(fd, "wb") as out:
                while block := response.read(1 << 20):
                    out.write(block)
        except (urllib.error.URLError, OSError, ValueError) as err:
            Path(tmp).unlink(missing_ok=True)
            errors.append(f"{url}: {getattr(err, 'reason', err)}")
            continue
        got = file_digest(tmp, algorithm)
        if got != checksum:
            Path(tmp).unlink(missing_ok=True)
            raise CorruptFileError(f"{url} has {name} {got}, expected {checksum}; refusing to use it")
        os.replace(tmp, target)
        if verbose:
            print(f"downloaded {url} ({name} verified)")
        return target
    raise DownloadError(f"could not download {target.name} from any mirror ({'; '.join(errors)}). {hint}".rstrip())
