"""Real-data loaders: checksums, clear errors, IDX / LIBSVM parsing, opt-in download, sklearn cross-check."""
from __future__ import annotations

import io
import shutil

import numpy as np
import pytest

from boundcheck.experiments import data
from boundcheck.experiments.data import DataError, FILES, load_covtype, load_mnist, read_idx, read_libsvm, verify_file

SHARED = data.default_data_dir()
needs_data = pytest.mark.skipif(SHARED is None or not (SHARED / "mnist").is_dir(),
                                reason="no data dir (set BOUNDCHECK_DATA)")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BOUNDCHECK_CACHE", str(tmp_path / "cache"))


# ----------------------------------------------------------------------------- locations
def test_default_data_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv("BOUNDCHECK_DATA", str(tmp_path))
    assert data.default_data_dir() == tmp_path
    assert data.resolve_data_dir(None) == tmp_path
    assert data.resolve_data_dir(tmp_path / "x") == tmp_path / "x"
    monkeypatch.delenv("BOUNDCHECK_DATA")
    d = data.default_data_dir()
    assert d is None or d.name == "data"


# ----------------------------------------------------------------------------- checksums and errors
@needs_data
def test_every_shared_file_matches_its_checksum():
    for rel in FILES:
        p = verify_file(SHARED, rel)
        assert p.stat().st_size == FILES[rel].size


def test_missing_file_names_file_and_checksum(tmp_path):
    rel = "covtype/covtype.libsvm.binary.scale.bz2"
    with pytest.raises(DataError) as e:
        verify_file(tmp_path, rel)
    msg = str(e.value)
    assert str(tmp_path / rel) in msg and FILES[rel].sha256 in msg and "--download" in msg
    with pytest.raises(ValueError):  # DataError is a ValueError: the CLI prints one line, exit 2
        load_covtype(tmp_path)


@needs_data
def test_corrupt_file_names_file_and_checksum(tmp_path):
    rel = "mnist/train-labels-idx1-ubyte.gz"
    (tmp_path / "mnist").mkdir()
    raw = bytearray((SHARED / rel).read_bytes())
    raw[100] ^= 0xFF  # same size, different bytes
    (tmp_path / rel).write_bytes(bytes(raw))
    with pytest.raises(DataError) as e:
        verify_file(tmp_path, rel)
    assert "corrupt" in str(e.value) and FILES[rel].sha256 in str(e.value) and rel in str(e.value)
    (tmp_path / rel).write_bytes(bytes(raw[:-10]))  # truncated
    with pytest.raises(DataError, match="bytes"):
        verify_file(tmp_path, rel)


def test_unknown_names():
    with pytest.raises(DataError):
        verify_file(None, "nope.bin")
    with pytest.raises(DataError):
        data.load_dataset("cifar")


# ----------------------------------------------------------------------------- parsers
def test_read_libsvm_small(tmp_path):
    """sklearn's parser, 1-based indices, dense output; malformed text is a DataError."""
    X, y = read_libsvm(io.BytesIO(b"2 1:0.5 3:1 \n1 2:0.25 \n1\n"), 3)
    np.testing.assert_array_equal(y, [2, 1, 1])
    np.testing.assert_array_equal(X, [[0.5, 0, 1], [0, 0.25, 0], [0, 0, 0]])
    import bz2
    p = tmp_path / "x.libsvm.bz2"
    p.write_bytes(bz2.compress(b"1 2:0.75\n2 1:1\n"))  # compressed files are read by name
    np.testing.assert_array_equal(read_libsvm(str(p), 2)[0], [[0, 0.75], [1, 0]])
    for bad in (b"1 4:1\n", b"", b"1 0:1\n", b"x 1:1\n"):
        with pytest.raises(DataError):
            read_libsvm(io.BytesIO(bad), 3)


def test_read_idx_roundtrip(tmp_path):
    import gzip
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    p = tmp_path / "x-idx3-ubyte.gz"
    with gzip.open(p, "wb") as fh:
        fh.write(bytes([0, 0, 8, 3]) + np.array([2, 3, 4], ">u4").tobytes() + a.tobytes())
    np.testing.assert_array_equal(read_idx(p), a)
    q = tmp_path / "bad.gz"
    with gzip.open(q, "wb") as fh:
        fh.write(bytes([0, 0, 8, 1]) + np.array([5], ">u4").tobytes() + b"abc")
    with pytest.raises(DataError, match="holds 3 bytes"):
        read_idx(q)


# ----------------------------------------------------------------------------- real data
@needs_data
def test_mnist_matches_readme():
    ds = load_mnist(SHARED)
    assert ds.X.shape == (60000, 785) and ds.loss == "softmax" and ds.n_classes == 10
    np.testing.assert_array_equal(np.bincount(ds.y), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    assert ds.X[:, :784].mean() == pytest.approx(0.1306604762738429, abs=1e-12)
    assert ds.X[:, :784].std() == pytest.approx(0.3081078038564626, abs=1e-12)
    assert np.all(ds.X[:, -1] == 1.0)
    t = load_mnist(SHARED, split="test", intercept=False)
    assert t.X.shape == (10000, 784)


@needs_data
def test_covtype_libsvm_and_sklearn_agree():
    a = load_covtype(SHARED)
    assert a.X.shape == (581012, 54) and a.loss == "logistic"
    assert (a.y == 1).sum() == 283301 and (a.y == -1).sum() == 297711
    assert a.X.min() == 0.0 and a.X.max() == 1.0
    assert np.count_nonzero(a.X) == 6940438
    b = load_covtype(SHARED, source="sklearn")
    np.testing.assert_array_equal(a.y, b.y)
    # LIBSVM prints %g (6 significant digits): agreement to that precision
    assert np.max(np.abs(a.X - b.X)) < 1e-5
    # the cache returns the same arrays
    c = load_covtype(SHARED)
    np.testing.assert_array_equal(a.X, c.X)


# ----------------------------------------------------------------------------- download (on request only)
@needs_data
def test_download_verifies_and_never_keeps_bad_bytes(tmp_path):
    """Downloads go through pooch.retrieve with the known sha256; a pooch downloader that serves
    the shared copies (a local mirror) stands in for the network."""
    good = {u: SHARED / rel for rel, f in FILES.items() for u in f.urls}
    seen = []

    def mirror(url, output_file, pooch_obj):
        seen.append(url)
        shutil.copyfile(good[url], output_file)

    got = data.download_files(tmp_path, "mnist-test", downloader=mirror)
    assert [p.name for p in got] == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    assert load_mnist(tmp_path, split="test").n == 10000
    assert len(seen) == 2
    data.download_files(tmp_path, "mnist-test", downloader=mirror)  # offline first: present and valid
    assert len(seen) == 2

    def bad(url, output_file, pooch_obj):
        with open(output_file, "wb") as fh:
            fh.write(b"not the file")

    d2 = tmp_path / "bad"
    with pytest.raises(DataError, match="could not download.*covtype.*sha256"):
        data.download_files(d2, "covtype", downloader=bad)
    assert not any(p.is_file() for p in d2.rglob("*"))


def test_no_silent_download(tmp_path, monkeypatch):
    import pooch

    def boom(*a, **k):
        raise AssertionError("network used without --download")

    monkeypatch.setattr(pooch, "retrieve", boom)
    with pytest.raises(DataError, match="--download"):
        load_mnist(tmp_path)


def test_one_cache_root(tmp_path, monkeypatch):
    """--cache DIR (the argument) beats $BOUNDCHECK_CACHE, which beats the user cache; decoded data
    go to <root>/data and downloads without a data dir to <root>/datasets."""
    monkeypatch.setenv("BOUNDCHECK_CACHE", str(tmp_path / "env"))
    assert data.cache_root() == tmp_path / "env" and data.cache_root(tmp_path / "opt") == tmp_path / "opt"
    monkeypatch.delenv("BOUNDCHECK_CACHE")
    import pooch
    assert data.cache_root() == pooch.os_cache("boundcheck")
    monkeypatch.setenv("BOUNDCHECK_DATA", "")
    monkeypatch.setattr(data, "_repo_shared_data", lambda: tmp_path / "nowhere")
    assert data.resolve_data_dir(None, tmp_path / "c") == tmp_path / "c" / "datasets"
    with pytest.raises(DataError, match=str(tmp_path / "c" / "datasets")):
        data.load_dataset("mnist", cache=tmp_path / "c")


@needs_data
def test_covtype_decoded_once_into_the_cache_root(tmp_path):
    a = load_covtype(SHARED, cache=tmp_path / "root")
    (npz,) = (tmp_path / "root" / "data").glob("covtype-libsvm-*.npz")
    npz.write_bytes(b"garbage")  # a corrupt cache is rebuilt, not trusted
    b = load_covtype(SHARED, cache=tmp_path / "root")
    np.testing.assert_array_equal(a.X, b.X)
    assert npz.stat().st_size > 1e8
