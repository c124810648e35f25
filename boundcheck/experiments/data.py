"""Real data for Section 5: MNIST (IDX files) and scaled CoverType (LIBSVM), checksummed.

Every file is verified against its published sha256 before it is read; a missing or
corrupt file raises :class:`DataError` (a ``ValueError``) naming the file and the
expected checksum.  Nothing is ever downloaded unless the caller asks (``download=True``,
the CLI's ``--download``); a download is verified like any other file and removed if
its checksum is wrong.

Where the files live (first that applies): the ``data_dir`` argument, the environment
variable ``BOUNDCHECK_DATA``, or ``../shared/data`` next to the repository when it
exists.  Parsed arrays are cached as ``.npz`` under :func:`cache_dir` keyed by the source
file's checksum, so only the first load parses the 71 MB LIBSVM text.

Datasets (see :func:`load_dataset`):

* ``mnist``: 60,000 training images, pixels scaled to [0, 1] (x/255), labels 0..9;
  multinomial logistic regression ("softmax"), with an intercept column by default.
* ``covtype``: LIBSVM's ``covtype.libsvm.binary.scale`` (581,012 × 54, every feature
  min-max scaled to [0, 1]); labels y = +1 for LIBSVM label 2 (Cover_Type 2, Lodgepole
  Pine) and −1 for label 1 (every other cover type); binary logistic regression.
  The 4 wilderness and 40 soil indicators each sum to 1 in every row, so the constant
  feature already lies in the span of the columns and no intercept is added.
* ``covtype-sklearn``: the same problem built from ``sklearn.datasets.fetch_covtype``
  (``data_home``-cached UCI data), min-max scaled here: a cross-check of the LIBSVM file.
"""
from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import logging
import os
import shutil
import tempfile
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

log = logging.getLogger("boundcheck")

__all__ = [
    "DataError",
    "DataFile",
    "FILES",
    "DATASETS",
    "Dataset",
    "default_data_dir",
    "resolve_data_dir",
    "cache_dir",
    "sha256_file",
    "verify_file",
    "download_files",
    "read_idx",
    "parse_libsvm",
    "load_mnist",
    "load_covtype",
    "load_dataset",
]


class DataError(ValueError):
    """A data file is missing, corrupt or unreadable (the message names it and its checksum)."""


@dataclass(frozen=True)
class DataFile:
    """A published file: path relative to the data dir, size, checksums, download URLs."""

    relpath: str
    size: int
    sha256: str
    md5: str
    urls: tuple[str, ...] = ()


_MNIST_URLS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://yann.lecun.com/exdb/mnist/")
_LIBSVM_URL = "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/binary/"

#: Checksums from shared/data/README.md (each equals an independently published value).
FILES: dict[str, DataFile] = {f.relpath: f for f in (
    DataFile("mnist/train-images-idx3-ubyte.gz", 9912422,
             "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", "f68b3c2dcbeaaa9fbdd348bbdeb94873",
             tuple(u + "train-images-idx3-ubyte.gz" for u in _MNIST_URLS)),
    DataFile("mnist/train-labels-idx1-ubyte.gz", 28881,
             "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", "d53e105ee54ea40749a09fcbcd1e9432",
             tuple(u + "train-labels-idx1-ubyte.gz" for u in _MNIST_URLS)),
    DataFile("mnist/t10k-images-idx3-ubyte.gz", 1648877,
             "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", "9fb629c4189551a2d022fa330f9573f3",
             tuple(u + "t10k-images-idx3-ubyte.gz" for u in _MNIST_URLS)),
    DataFile("mnist/t10k-labels-idx1-ubyte.gz", 4542,
             "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", "ec29112dd5afa0611ce80d1b7f02629c",
             tuple(u + "t10k-labels-idx1-ubyte.gz" for u in _MNIST_URLS)),
    DataFile("covtype/covtype.libsvm.binary.scale.bz2", 8216081,
             "68d6c54c1f7f5380b2f9eb652471522fef8a5ac255c4a0e3b2096428241ad799", "d95f45e15c284005c2c7a4c82e4be102",
             (_LIBSVM_URL + "covtype.libsvm.binary.scale.bz2",)),
    DataFile("sklearn_data/covertype/samples_py3", 14250327,
             "ba15c20add4a83550488f189a3c4b1d774167e84256d99844d5327f4174323ff", "65d81ca734a58502805bab8a7b9b1277"),
    DataFile("sklearn_data/covertype/targets_py3", 35847,
             "9c41047c16f75a49a2e6852913a504a653892a856ffe8698ba918901a550eee5", "22dcd1e5c2e82b12d4eaf5d43e0c3ca2"),
)}

#: Files each dataset reads.
DATASETS: dict[str, tuple[str, ...]] = {
    "mnist": ("mnist/train-images-idx3-ubyte.gz", "mnist/train-labels-idx1-ubyte.gz"),
    "mnist-test": ("mnist/t10k-images-idx3-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz"),
    "covtype": ("covtype/covtype.libsvm.binary.scale.bz2",),
    "covtype-sklearn": ("sklearn_data/covertype/samples_py3", "sklearn_data/covertype/targets_py3"),
}


@dataclass
class Dataset:
    """A training set for Section 5's logistic regressions.

    X: (N, d) float64 features (an intercept column of ones last when ``intercept``).
    y: (N,) labels: ±1 floats for ``loss == "logistic"``, ints 0..C−1 for ``"softmax"``.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    loss: str  # "logistic" (binary, y ∈ {±1}) or "softmax" (multinomial, y ∈ 0..C−1)
    n_classes: int
    intercept: bool
    files: dict = field(default_factory=dict)  # relpath -> sha256 (verified)
    description: str = ""

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_params(self) -> int:
        """Number of parameters: d (binary) or C·d (multinomial)."""
        return self.d if self.loss == "logistic" else self.d * self.n_classes

    @property
    def param_shape(self) -> tuple[int, ...]:
        return (self.d,) if self.loss == "logistic" else (self.d, self.n_classes)


# ----------------------------------------------------------------------------- locations
def _repo_shared_data() -> Path:
    return Path(__file__).resolve().parents[3] / "shared" / "data"


def default_data_dir() -> Path | None:
    """``$BOUNDCHECK_DATA`` if set, else ``../shared/data`` next to the repository if it exists."""
    env = os.environ.get("BOUNDCHECK_DATA")
    if env:
        return Path(env).expanduser()
    p = _repo_shared_data()
    return p if p.is_dir() else None


def resolve_data_dir(data_dir: str | os.PathLike | None) -> Path:
    if data_dir is None:
        d = default_data_dir()
        if d is None:
            raise DataError("no data directory: pass --data-dir DIR (or data_dir=...), or set BOUNDCHECK_DATA; "
                            f"the default {_repo_shared_data()} does not exist")
        return d
    return Path(data_dir).expanduser()


def cache_dir() -> Path:
    """Where parsed arrays, optima and sweep results are cached: ``$BOUNDCHECK_CACHE`` or ~/.cache/boundcheck."""
    env = os.environ.get("BOUNDCHECK_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "boundcheck"


# ----------------------------------------------------------------------------- checksums
_VERIFIED: dict[tuple[str, int, int], str] = {}


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _describe(f: DataFile) -> str:
    return f"expected {f.size} bytes with sha256 {f.sha256}"


def verify_file(data_dir: str | os.PathLike | None, relpath: str) -> Path:
    """Path of ``relpath`` under the data dir after checking its size and sha256.

    Raises DataError naming the file and the expected checksum if it is missing or differs.
    """
    if relpath not in FILES:
        raise DataError(f"unknown data file {relpath!r}; known: {sorted(FILES)}")
    f = FILES[relpath]
    d = resolve_data_dir(data_dir)
    p = d / relpath
    if not p.is_file():
        raise DataError(f"missing data file {p} ({_describe(f)}); "
                        f"point --data-dir at a folder holding {relpath}" +
                        (", or pass --download to fetch it" if f.urls else ""))
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    if _VERIFIED.get(key) == f.sha256:
        return p
    if st.st_size != f.size:
        raise DataError(f"corrupt data file {p}: {st.st_size} bytes, {_describe(f)}")
    got = sha256_file(p)
    if got != f.sha256:
        raise DataError(f"corrupt data file {p}: sha256 {got}, {_describe(f)}")
    _VERIFIED[key] = f.sha256
    return p


def download_files(data_dir: str | os.PathLike | None, dataset: str, *,
                   opener: Callable[[str], io.BufferedIOBase] | None = None) -> list[Path]:
    """Download the files of ``dataset`` that are missing or corrupt into the data dir (on request only).

    Each download is verified against its sha256 and removed if it does not match.
    ``opener`` (a URL → binary stream function, default ``urllib.request.urlopen``) is for tests.
    """
    if dataset not in DATASETS:
        raise DataError(f"unknown dataset {dataset!r}; choose from {sorted(DATASETS)}")
    if dataset == "covtype-sklearn":
        return _download_sklearn(data_dir)
    d = resolve_data_dir(data_dir)
    opener = opener or (lambda url: urllib.request.urlopen(url, timeout=60))  # noqa: S310 (https URLs above)
    out = []
    for rel in DATASETS[dataset]:
        try:
            out.append(verify_file(d, rel))
            continue
        except DataError:
            pass
        f = FILES[rel]
        target = d / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        errors = []
        for url in f.urls:
            log.warning("downloading %s -> %s", url, target)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as fh, opener(url) as src:
                    shutil.copyfileobj(src, fh)
                got = sha256_file(tmp)
                if got != f.sha256:
                    errors.append(f"{url}: sha256 {got}")
                    continue
                os.replace(tmp, target)
                break
            except OSError as exc:
                errors.append(f"{url}: {exc}")
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        else:
            raise DataError(f"could not download {rel} ({_describe(f)}): " + "; ".join(errors))
        out.append(verify_file(d, rel))
    return out


def _download_sklearn(data_dir: str | os.PathLike | None) -> list[Path]:
    d = resolve_data_dir(data_dir)
    try:
        from sklearn.datasets import fetch_covtype
    except ImportError:  # pragma: no cover - depends on the environment
        raise DataError("covtype-sklearn needs scikit-learn (pip install scikit-learn)") from None
    fetch_covtype(data_home=str(d / "sklearn_data"), download_if_missing=True)
    return [verify_file(d, rel) for rel in DATASETS["covtype-sklearn"]]


# ----------------------------------------------------------------------------- parsers
def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read a (gzip-compressed) IDX file: big-endian magic 0x0000 0x08 <ndim>, dims, uint8 data."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DataError(f"{path}: not an IDX file (bad magic {raw[:4].hex()})")
    if raw[2] != 0x08:
        raise DataError(f"{path}: IDX type 0x{raw[2]:02x} is not unsigned byte (0x08)")
    ndim = raw[3]
    dims = tuple(int(v) for v in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    off = 4 + 4 * ndim
    if len(raw) - off != int(np.prod(dims)):
        raise DataError(f"{path}: IDX header says {dims} but holds {len(raw) - off} bytes of data")
    return np.frombuffer(raw, np.uint8, offset=off).reshape(dims)


def parse_libsvm(raw: bytes, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """Parse LIBSVM text (``<label> <i>:<v> ...`` per line, 1-based indices) into dense (X, labels).

    Vectorised: the colons of each line give its number of pairs, and every number of the
    file is read in one pass with the colons treated as separators.
    """
    if not raw:
        raise DataError("empty LIBSVM file")
    if not raw.endswith(b"\n"):
        raw = raw + b"\n"
    b = np.frombuffer(raw, np.uint8)
    nl = np.flatnonzero(b == 10)
    colon = np.flatnonzero(b == 58)
    counts = np.bincount(np.searchsorted(nl, colon), minlength=len(nl))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        vals = np.fromstring(raw.replace(b":", b" "), dtype=np.float64, sep=" ")  # noqa: NPY201
    n = len(nl)
    per = 1 + 2 * counts
    if vals.size != int(per.sum()):
        raise DataError(f"malformed LIBSVM text: {vals.size} numbers, expected {int(per.sum())} from {n} lines")
    starts = np.concatenate([[0], np.cumsum(per)[:-1]])
    labels = vals[starts]
    mask = np.ones(vals.size, bool)
    mask[starts] = False
    pairs = vals[mask].reshape(-1, 2)
    idx = pairs[:, 0].astype(np.int64)
    if idx.size and (idx.min() < 1 or idx.max() > n_features or np.any(idx != pairs[:, 0])):
        raise DataError(f"malformed LIBSVM text: feature index outside 1..{n_features}")
    X = np.zeros((n, n_features))
    X[np.repeat(np.arange(n), counts), idx - 1] = pairs[:, 1]
    return X, labels


# ----------------------------------------------------------------------------- cache of parsed arrays
def _cached_arrays(key: str, build: Callable[[], dict[str, np.ndarray]], use_cache: bool) -> dict[str, np.ndarray]:
    if not use_cache:
        return build()
    path = cache_dir() / "data" / f"{key}.npz"
    if path.is_file():
        try:
            with np.load(path) as z:
                return {k: z[k] for k in z.files}
        except (OSError, ValueError, EOFError):  # unreadable cache: rebuild it
            log.warning("ignoring unreadable cache %s", path)
    arrays = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    except OSError as exc:  # a read-only cache is not an error
        log.warning("could not cache %s: %s", path, exc)
    return arrays


# ----------------------------------------------------------------------------- loaders
def _ensure(data_dir: str | os.PathLike | None, dataset: str, download: bool) -> dict[str, Path]:
    if download:
        download_files(data_dir, dataset)
    return {rel: verify_file(data_dir, rel) for rel in DATASETS[dataset]}


def load_mnist(data_dir: str | os.PathLike | None = None, split: str = "train", *, download: bool = False,
               intercept: bool = True, cache: bool = True) -> Dataset:
    """MNIST from its IDX files: X = pixels/255 (N, 784) [+ a column of ones], y ∈ 0..9."""
    if split not in ("train", "test"):
        raise DataError(f"split must be 'train' or 'test', got {split!r}")
    name = "mnist" if split == "train" else "mnist-test"
    paths = _ensure(data_dir, name, download)
    img_rel, lab_rel = DATASETS[name]
    img, lab = read_idx(paths[img_rel]), read_idx(paths[lab_rel])
    if img.ndim != 3 or lab.ndim != 1 or img.shape[0] != lab.shape[0]:
        raise DataError(f"MNIST files disagree: images {img.shape}, labels {lab.shape}")
    if lab.max() > 9:
        raise DataError(f"{paths[lab_rel]}: label {int(lab.max())} outside 0..9")
    X = img.reshape(img.shape[0], -1).astype(np.float64) / 255.0
    if intercept:
        X = np.hstack([X, np.ones((X.shape[0], 1))])
    return Dataset(name, X, lab.astype(np.int64), "softmax", 10, intercept,
                   {r: FILES[r].sha256 for r in DATASETS[name]},
                   f"MNIST {split}: {X.shape[0]} images, 784 pixels/255" + (" + intercept" if intercept else "")
                   + ", 10 classes, multinomial logistic regression")


def _covtype_binary(labels: np.ndarray) -> np.ndarray:
    return np.where(labels == 2, 1.0, -1.0)


def load_covtype(data_dir: str | os.PathLike | None = None, *, source: str = "libsvm", download: bool = False,
                 cache: bool = True) -> Dataset:
    """Scaled binary CoverType (581,012 × 54), y = +1 for Cover_Type 2, −1 otherwise.

    source="libsvm": LIBSVM's covtype.libsvm.binary.scale.bz2 (the paper's file).
    source="sklearn": sklearn.datasets.fetch_covtype(data_home=<data dir>/sklearn_data),
    min-max scaled to [0, 1] here exactly as LIBSVM's svm-scale does (-l 0 -u 1).
    """
    if source == "libsvm":
        paths = _ensure(data_dir, "covtype", download)
        rel = DATASETS["covtype"][0]

        def build() -> dict[str, np.ndarray]:
            with bz2.open(paths[rel], "rb") as fh:
                raw = fh.read()
            X, labels = parse_libsvm(raw, 54)
            return {"X": X, "labels": labels}

        arr = _cached_arrays(f"covtype-libsvm-{FILES[rel].sha256[:16]}", build, cache)
        X, labels = arr["X"], arr["labels"]
        if X.shape != (581012, 54) or not set(np.unique(labels)) <= {1.0, 2.0}:
            raise DataError(f"{paths[rel]}: parsed shape {X.shape}, labels {np.unique(labels)}; expected (581012, 54), {{1, 2}}")
        desc = "CoverType (LIBSVM covtype.binary, scaled): 581012 × 54 in [0, 1]"
        name = "covtype"
    elif source == "sklearn":
        paths = _ensure(data_dir, "covtype-sklearn", download)
        try:
            from sklearn.datasets import fetch_covtype
        except ImportError:  # pragma: no cover - depends on the environment
            raise DataError("source='sklearn' needs scikit-learn (pip install scikit-learn)") from None
        home = paths[DATASETS["covtype-sklearn"][0]].parent.parent
        bunch = fetch_covtype(data_home=str(home), download_if_missing=False)
        raw_X = np.asarray(bunch.data, dtype=np.float64)
        lo, hi = raw_X.min(axis=0), raw_X.max(axis=0)
        span = np.where(hi > lo, hi - lo, 1.0)
        X = (raw_X - lo) / span
        labels = np.where(np.asarray(bunch.target) == 2, 2.0, 1.0)
        desc = "CoverType (sklearn fetch_covtype, min-max scaled here): 581012 × 54 in [0, 1]"
        name = "covtype-sklearn"
    else:
        raise DataError(f"source must be 'libsvm' or 'sklearn', got {source!r}")
    return Dataset(name, X, _covtype_binary(labels), "logistic", 2, False,
                   {r: FILES[r].sha256 for r in DATASETS[name]}, desc + ", binary logistic regression")


def load_dataset(name: str, data_dir: str | os.PathLike | None = None, *, download: bool = False,
                 cache: bool = True) -> Dataset:
    """``"mnist"``, ``"covtype"`` (LIBSVM) or ``"covtype-sklearn"`` (cross-check)."""
    if name == "mnist":
        return load_mnist(data_dir, download=download, cache=cache)
    if name == "covtype":
        return load_covtype(data_dir, source="libsvm", download=download, cache=cache)
    if name == "covtype-sklearn":
        return load_covtype(data_dir, source="sklearn", download=download, cache=cache)
    raise DataError(f"unknown dataset {name!r}; choose from covtype, mnist, covtype-sklearn")


def dataset_names() -> Sequence[str]:
    return ("covtype", "mnist", "covtype-sklearn")
