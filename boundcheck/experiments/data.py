"""Real data for Section 5: MNIST (IDX files) and scaled CoverType (LIBSVM), checksummed.

Every file is verified against its published sha256 (``pooch.file_hash``) before it is
read; a missing or corrupt file raises :class:`DataError` (a ``ValueError``) naming the file
and the expected checksum.  Offline first: nothing is ever downloaded unless the caller
asks (``download=True``, the CLI's ``--download``); a download goes through
``pooch.retrieve(url, known_hash=…)``, which keeps it only if its checksum matches.
LIBSVM text is parsed by ``sklearn.datasets.load_svmlight_file``.  Both libraries are the
``data`` extra (``pip install 'boundcheck[data]'``); a clear one-line error says so if one is
missing.

One cache root (:func:`cache_root`: ``--cache DIR``, else ``$BOUNDCHECK_CACHE``, else the
user cache ``pooch.os_cache("boundcheck")``, e.g. ``~/.cache/boundcheck``) holds everything
the real-data commands cache: ``data/`` (decoded arrays as ``.npz``, keyed by the source
file's checksum, so only the first load parses the 71 MB LIBSVM text), ``optima/`` and
``sweeps/``, and ``datasets/``, where downloads go when no data directory is given.

Where the files live (first that applies): the ``data_dir`` argument, the environment
variable ``BOUNDCHECK_DATA``, ``../shared/data`` next to the repository when it exists,
else ``<cache root>/datasets``.

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

import gzip
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

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
    "cache_root",
    "cache_dir",
    "sha256_file",
    "verify_file",
    "download_files",
    "read_idx",
    "read_libsvm",
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


# ----------------------------------------------------------------------------- libraries (the data extra)
def _pooch() -> Any:
    try:
        import pooch
    except ImportError:
        raise DataError("the real-data commands need pooch (checksummed files and the cache): "
                        "pip install 'boundcheck[data]'") from None
    return pooch


# ----------------------------------------------------------------------------- locations
def _repo_shared_data() -> Path:
    return Path(__file__).resolve().parents[3] / "shared" / "data"


def cache_root(cache: str | os.PathLike | None = None) -> Path:
    """The one cache root: ``cache`` (the CLI's ``--cache DIR``), else ``$BOUNDCHECK_CACHE``, else
    ``pooch.os_cache("boundcheck")`` (the platform's user cache, e.g. ``~/.cache/boundcheck``).

    Below it: ``data/`` (decoded arrays), ``optima/``, ``sweeps/``, ``datasets/`` (downloads)."""
    if cache is not None:
        return Path(cache).expanduser()
    env = os.environ.get("BOUNDCHECK_CACHE")
    if env:
        return Path(env).expanduser()
    return Path(_pooch().os_cache("boundcheck"))


def cache_dir() -> Path:
    """The default cache root (``cache_root()``; kept for callers of the old name)."""
    return cache_root()


def default_data_dir() -> Path | None:
    """``$BOUNDCHECK_DATA`` if set, else ``../shared/data`` next to the repository if it exists."""
    env = os.environ.get("BOUNDCHECK_DATA")
    if env:
        return Path(env).expanduser()
    p = _repo_shared_data()
    return p if p.is_dir() else None


def resolve_data_dir(data_dir: str | os.PathLike | None, cache: str | os.PathLike | None = None) -> Path:
    """``data_dir``, else :func:`default_data_dir`, else ``<cache root>/datasets``."""
    if data_dir is None:
        d = default_data_dir()
        return d if d is not None else cache_root(cache) / "datasets"
    return Path(data_dir).expanduser()


# ----------------------------------------------------------------------------- checksums
_VERIFIED: dict[tuple[str, int, int], str] = {}


def sha256_file(path: str | os.PathLike) -> str:
    return str(_pooch().file_hash(str(path), alg="sha256"))


def _describe(f: DataFile) -> str:
    return f"expected {f.size} bytes with sha256 {f.sha256}"


def verify_file(data_dir: str | os.PathLike | None, relpath: str, *, cache: str | os.PathLike | None = None) -> Path:
    """Path of ``relpath`` under the data dir after checking its size and sha256.

    Raises DataError naming the file and the expected checksum if it is missing or differs.
    """
    if relpath not in FILES:
        raise DataError(f"unknown data file {relpath!r}; known: {sorted(FILES)}")
    f = FILES[relpath]
    d = resolve_data_dir(data_dir, cache)
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


def download_files(data_dir: str | os.PathLike | None, dataset: str, *, downloader: Callable | None = None,
                   cache: str | os.PathLike | None = None) -> list[Path]:
    """Download the files of ``dataset`` that are missing or corrupt into the data dir (on request only).

    Each file goes through ``pooch.retrieve(url, known_hash="sha256:…")`` (mirrors tried in
    turn), which keeps a download only if its checksum matches.  ``downloader``: a pooch
    downloader ``(url, output_file, pooch)`` (default: pooch's HTTP downloader).
    """
    if dataset not in DATASETS:
        raise DataError(f"unknown dataset {dataset!r}; choose from {sorted(DATASETS)}")
    if dataset == "covtype-sklearn":
        return _download_sklearn(data_dir, cache)
    pooch = _pooch()
    d = resolve_data_dir(data_dir, cache)
    out = []
    for rel in DATASETS[dataset]:
        try:
            out.append(verify_file(d, rel))
            continue
        except DataError:
            pass
        f = FILES[rel]
        target = d / rel
        errors = []
        for url in f.urls:
            log.warning("downloading %s -> %s", url, target)
            try:
                pooch.retrieve(url, known_hash=f"sha256:{f.sha256}", fname=target.name, path=target.parent,
                               downloader=downloader, progressbar=False)
                break
            except Exception as exc:  # noqa: BLE001 - network, HTTP or checksum: try the next mirror
                errors.append(f"{url}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
        else:
            raise DataError(f"could not download {rel} ({_describe(f)}): " + "; ".join(errors))
        out.append(verify_file(d, rel))
    return out


def _download_sklearn(data_dir: str | os.PathLike | None, cache: str | os.PathLike | None = None) -> list[Path]:
    d = resolve_data_dir(data_dir, cache)
    try:
        from sklearn.datasets import fetch_covtype
    except ImportError:  # pragma: no cover - depends on the environment
        raise DataError("covtype-sklearn needs scikit-learn (pip install 'boundcheck[data]')") from None
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


def read_libsvm(source: str | os.PathLike | Any, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """LIBSVM text (``<label> <i>:<v> ...`` per line, 1-based indices; a path, ``.bz2``/``.gz``
    decompressed on the fly, or a binary file object) as dense (X, labels), parsed by
    ``sklearn.datasets.load_svmlight_file``.  Malformed text is a DataError."""
    try:
        from sklearn.datasets import load_svmlight_file
    except ImportError:
        raise DataError("reading LIBSVM files (CoverType) needs scikit-learn: pip install 'boundcheck[data]'") from None
    try:
        X, labels = load_svmlight_file(source, n_features=n_features, zero_based=False, dtype=np.float64)
    except (ValueError, IndexError) as exc:  # sklearn's message says what is wrong
        raise DataError(f"malformed LIBSVM text: {str(exc).splitlines()[0]}") from None
    if X.shape[0] == 0:
        raise DataError("empty LIBSVM file")
    return X.toarray(), np.asarray(labels, dtype=np.float64)


# ----------------------------------------------------------------------------- cache of parsed arrays
def _cached_arrays(key: str, build: Callable[[], dict[str, np.ndarray]], use_cache: bool,
                   cache: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
    if not use_cache:
        return build()
    path = cache_root(cache) / "data" / f"{key}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as z:  # a cache is input: no pickles
                return {k: z[k] for k in z.files}
        except (OSError, ValueError, EOFError, KeyError):  # unreadable cache: rebuild it
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
def _ensure(data_dir: str | os.PathLike | None, dataset: str, download: bool,
            cache: str | os.PathLike | None = None) -> dict[str, Path]:
    if download:
        download_files(data_dir, dataset, cache=cache)
    return {rel: verify_file(data_dir, rel, cache=cache) for rel in DATASETS[dataset]}


def _cache_args(cache: Any, use_cache: bool) -> tuple[str | os.PathLike | None, bool]:
    if isinstance(cache, bool):  # the old signature: cache=True/False meant "use the cache"
        return None, cache and use_cache
    return cache, use_cache


def load_mnist(data_dir: str | os.PathLike | None = None, split: str = "train", *, download: bool = False,
               intercept: bool = True, cache: str | os.PathLike | None = None, use_cache: bool = True) -> Dataset:
    """MNIST from its IDX files: X = pixels/255 (N, 784) [+ a column of ones], y ∈ 0..9.

    (Decoded from the 10 MB gzip files each time: faster than reading a 377 MB cache.)"""
    cache, use_cache = _cache_args(cache, use_cache)
    if split not in ("train", "test"):
        raise DataError(f"split must be 'train' or 'test', got {split!r}")
    name = "mnist" if split == "train" else "mnist-test"
    paths = _ensure(data_dir, name, download, cache)
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
                 cache: str | os.PathLike | None = None, use_cache: bool = True) -> Dataset:
    """Scaled binary CoverType (581,012 × 54), y = +1 for Cover_Type 2, −1 otherwise.

    source="libsvm": LIBSVM's covtype.libsvm.binary.scale.bz2 (the paper's file), decoded once
    into ``<cache root>/data``.
    source="sklearn": sklearn.datasets.fetch_covtype(data_home=<data dir>/sklearn_data),
    min-max scaled to [0, 1] here exactly as LIBSVM's svm-scale does (-l 0 -u 1).
    """
    cache, use_cache = _cache_args(cache, use_cache)
    if source == "libsvm":
        paths = _ensure(data_dir, "covtype", download, cache)
        rel = DATASETS["covtype"][0]

        def build() -> dict[str, np.ndarray]:
            X, labels = read_libsvm(str(paths[rel]), 54)
            return {"X": X, "labels": labels}

        arr = _cached_arrays(f"covtype-libsvm-{FILES[rel].sha256[:16]}", build, use_cache, cache)
        X, labels = arr.get("X"), arr.get("labels")
        if X is None or labels is None or X.shape != (581012, 54) or not set(np.unique(labels)) <= {1.0, 2.0}:
            raise DataError(f"{paths[rel]}: parsed shape {None if X is None else X.shape}, labels "
                            f"{None if labels is None else np.unique(labels)}; expected (581012, 54), {{1, 2}}"
                            " (a stale cache? remove <cache>/data)")
        desc = "CoverType (LIBSVM covtype.binary, scaled): 581012 × 54 in [0, 1]"
        name = "covtype"
    elif source == "sklearn":
        paths = _ensure(data_dir, "covtype-sklearn", download, cache)
        try:
            from sklearn.datasets import fetch_covtype
        except ImportError:  # pragma: no cover - depends on the environment
            raise DataError("source='sklearn' needs scikit-learn (pip install 'boundcheck[data]')") from None
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
                 cache: str | os.PathLike | None = None, use_cache: bool = True) -> Dataset:
    """``"mnist"``, ``"covtype"`` (LIBSVM) or ``"covtype-sklearn"`` (cross-check); ``cache``: the cache root."""
    if name == "mnist":
        return load_mnist(data_dir, download=download, cache=cache, use_cache=use_cache)
    if name == "covtype":
        return load_covtype(data_dir, source="libsvm", download=download, cache=cache, use_cache=use_cache)
    if name == "covtype-sklearn":
        return load_covtype(data_dir, source="sklearn", download=download, cache=cache, use_cache=use_cache)
    raise DataError(f"unknown dataset {name!r}; choose from covtype, mnist, covtype-sklearn")


def dataset_names() -> Sequence[str]:
    return ("covtype", "mnist", "covtype-sklearn")
