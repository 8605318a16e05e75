"""Checksummed downloads (eqrep.data.download), with file:// mirrors and a fake urlopen; no network."""

import hashlib

import pytest

from eqrep.data import download as D

CONTENT = b"the real file\n" * 100


def _mirror(tmp_path, name="good.bin", content=CONTENT):
    path = tmp_path / "mirror" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)
    return path.as_uri()


def test_digests_match_hashlib(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(CONTENT)
    assert D.sha256_of(path) == hashlib.sha256(CONTENT).hexdigest() == D.file_digest(str(path))
    assert D.md5_of(path) == hashlib.md5(CONTENT).hexdigest() == D.file_digest(path, "md5")
    big = tmp_path / "big.bin"  # more than one read block (1 MiB)
    big.write_bytes(b"\x01" * (3 << 19))
    assert D.sha256_of(big) == hashlib.sha256(b"\x01" * (3 << 19)).hexdigest()


def test_fetch_downloads_verifies_and_reports(tmp_path, capsys):
    target = tmp_path / "cache" / "sub" / "f.bin"  # folders are created
    url = _mirror(tmp_path)
    got = D.fetch([url], target, hashlib.sha256(CONTENT).hexdigest())
    assert got == target and target.read_bytes() == CONTENT
    assert capsys.readouterr().out == f"downloaded {url} (SHA-256 verified)\n"
    other = tmp_path / "cache" / "g.bin"
    D.fetch([url], other, hashlib.md5(CONTENT).hexdigest(), algorithm="md5", verbose=False)
    assert other.read_bytes() == CONTENT and capsys.readouterr().out == ""
    D.fetch([url], tmp_path / "cache" / "h.bin", hashlib.md5(CONTENT).hexdigest(), algorithm="md5")
    assert "(MD5 verified)" in capsys.readouterr().out


def test_a_valid_cached_file_is_used_without_downloading(tmp_path, capsys):
    target = tmp_path / "f.bin"
    target.write_bytes(CONTENT)
    assert D.fetch([], target, hashlib.sha256(CONTENT).hexdigest()) == target  # no mirror needed
    assert D.fetch([], target, hashlib.md5(CONTENT).hexdigest(), algorithm="md5") == target  # by its own digest
    assert capsys.readouterr().out == ""


def test_a_tampered_cached_file_is_rejected(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(CONTENT[:-1] + b"!")  # one byte changed
    digest = hashlib.sha256(CONTENT).hexdigest()
    with pytest.raises(D.DownloadError, match="could not download f.bin from any mirror"):
        D.fetch([(tmp_path / "missing.bin").as_uri()], target, digest)  # never returned as if valid
    assert D.fetch([_mirror(tmp_path)], target, digest, verbose=False) == target
    assert target.read_bytes() == CONTENT  # replaced by the verified download


def test_a_corrupt_download_is_refused_and_leaves_nothing(tmp_path):
    url = _mirror(tmp_path, "bad.bin", b"tampered")
    target = tmp_path / "cache" / "f.bin"
    want = hashlib.sha256(CONTENT).hexdigest()
    got = hashlib.sha256(b"tampered").hexdigest()
    with pytest.raises(D.CorruptFileError, match=f"^{url} has SHA-256 {got}, expected {want}; refusing to use it$"):
        D.fetch([url, _mirror(tmp_path)], target, want)  # a corrupt mirror stops the search
    assert list(target.parent.iterdir()) == []  # no target, no .part file


def test_mirrors_are_tried_in_order_and_every_failure_is_reported(tmp_path):
    missing = (tmp_path / "missing.bin").as_uri()
    target = tmp_path / "cache" / "f.bin"
    digest = hashlib.sha256(CONTENT).hexdigest()
    assert D.fetch([missing, _mirror(tmp_path)], target, digest, verbose=False).read_bytes() == CONTENT
    with pytest.raises(D.DownloadError) as err:
        D.fetch([missing, "not a url"], tmp_path / "cache" / "g.bin", digest, hint="Use the offline sample.")
    message = str(err.value)
    missing_path = tmp_path / "missing.bin"  # the URLError's reason, not its wrapper text
    assert message.startswith(f"could not download g.bin from any mirror ({missing}: [Errno 2] No such file or "
                              f"directory: '{missing_path}'; ")
    assert message.endswith("; not a url: unknown url type: 'not a url'). Use the offline sample.")
    with pytest.raises(D.DownloadError, match=r"\)\.$"):  # without a hint: nothing trails the sentence
        D.fetch([missing], tmp_path / "cache" / "g.bin", digest)
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["f.bin"]  # no .part files left


def test_fetch_passes_its_timeout_and_streams_in_blocks(tmp_path, monkeypatch):
    seen = {}

    class Response:
        def __init__(self):
            self.blocks = [CONTENT[:7], CONTENT[7:], b""]

        def read(self, size):
            seen.setdefault("sizes", []).append(size)
            return self.blocks.pop(0)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def urlopen(url, timeout):
        seen["url"], seen["timeout"] = url, timeout
        # the download streams into a hidden temporary file next to the target
        seen["folder"] = sorted(p.name.split(".")[1:3] + p.name.split(".")[-1:] for p in tmp_path.iterdir())
        return Response()

    monkeypatch.setattr(D.urllib.request, "urlopen", urlopen)
    target = tmp_path / "f.bin"
    D.fetch(["https://example.invalid/f.bin"], target, hashlib.sha256(CONTENT).hexdigest(), timeout=7.5,
            verbose=False)
    assert seen == {"url": "https://example.invalid/f.bin", "timeout": 7.5, "sizes": [1 << 20] * 3,
                    "folder": [["f", "bin", "part"]]}
    assert target.read_bytes() == CONTENT and [p.name for p in tmp_path.iterdir()] == ["f.bin"]
    target.unlink()
    D.fetch(["https://example.invalid/f.bin"], target, hashlib.sha256(CONTENT).hexdigest(), verbose=False)
    assert seen["timeout"] == 30.0  # the default
