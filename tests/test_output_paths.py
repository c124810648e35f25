"""``outputs.paths.check_output_path``: bad output paths are refused up front, with one line, leaving nothing."""
from __future__ import annotations

import os

import pytest

from boundcheck.outputs.paths import check_output_path


@pytest.mark.parametrize("path, kind, msg", [
    ("/sys/x.json", "file", "cannot write in /sys"),
    ("/etc/passwd/x.json", "file", "/etc/passwd is not a directory"),
    ("/etc/passwd", "dir", "is not a directory"),
    ("/sys/x", "dir", "cannot write in /sys"),
    ("/proc/self/x/y.png", "file", "cannot write in"),
])
def test_unwritable_paths_are_refused(path, kind, msg):
    with pytest.raises(ValueError, match=msg) as e:
        check_output_path(path, kind, option="--json")
    assert "\n" not in str(e.value) and str(e.value).startswith("--json ")


def test_directory_as_a_file_and_wrong_suffix(tmp_path):
    with pytest.raises(ValueError, match="is a directory"):
        check_output_path(tmp_path, "file", option="--json")
    with pytest.raises(ValueError, match="unsupported file type '.txt'"):
        check_output_path(tmp_path / "x.txt", "file", option="--plot", suffixes=(".png", ".pdf", ".svg"))
    assert list(tmp_path.iterdir()) == []  # the probes leave nothing behind


def test_good_paths_pass_and_create_nothing(tmp_path):
    assert check_output_path(tmp_path / "a" / "b" / "x.json") == tmp_path / "a" / "b" / "x.json"
    assert check_output_path(tmp_path / "new" / "dir", "dir") == tmp_path / "new" / "dir"
    assert check_output_path(tmp_path, "dir") == tmp_path
    (tmp_path / "f.png").write_bytes(b"x")
    assert check_output_path(tmp_path / "f.png", suffixes=(".png",)) == tmp_path / "f.png"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.png"]


def test_relative_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert str(check_output_path("x.json")) == "x.json"
    os.chmod(tmp_path, 0o500)
    try:
        if os.geteuid() != 0:  # root writes anyway; the probe then rightly says yes
            with pytest.raises(ValueError, match="cannot write"):
                check_output_path("x.json")
    finally:
        os.chmod(tmp_path, 0o700)
