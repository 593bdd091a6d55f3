"""neuronlab.tools.archives.safe_extract: tar archives unpacked without tarfile's 3.11.4 filter."""

from __future__ import annotations

import io
import tarfile

import pytest

from neuronlab.tools.archives import UnsafeArchiveError, safe_extract


def make_tar(path, members, mode="w:gz"):
    """``members``: (TarInfo, bytes or None) pairs."""
    with tarfile.open(path, mode) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def file_member(name, data=b"x", mode=0o644):
    info = tarfile.TarInfo(name)
    info.mode = mode
    return info, data


def test_files_and_folders_are_unpacked_with_plain_modes(tmp_path):
    folder = tarfile.TarInfo("package/lib")
    folder.type = tarfile.DIRTYPE
    archive = make_tar(tmp_path / "a.tgz", [
        (folder, None), file_member("package/lib/a.js", b"console.log(1)"),
        file_member("package/bin/run", b"#!/bin/sh", mode=0o4777)])
    written = safe_extract(archive, tmp_path / "out")
    assert [p.relative_to(tmp_path / "out").as_posix() for p in written] == [
        "package/lib/a.js", "package/bin/run"]
    assert (tmp_path / "out/package/lib/a.js").read_bytes() == b"console.log(1)"
    assert (tmp_path / "out/package/bin/run").stat().st_mode & 0o7777 == 0o755  # no setuid from an archive


@pytest.mark.parametrize(("name", "message"), [
    ("../escaped.txt", "would be written outside"),
    ("package/../../escaped.txt", "would be written outside"),
    ("/etc/escaped.txt", "has an absolute path"),
])
def test_paths_that_leave_the_folder_are_refused_before_anything_is_written(tmp_path, name, message):
    archive = make_tar(tmp_path / "a.tar", [file_member("package/first.txt"), file_member(name)], mode="w")
    with pytest.raises(UnsafeArchiveError, match=message):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists()
    assert not (tmp_path / "out" / "package" / "first.txt").exists()


@pytest.mark.parametrize(("kind", "words"), [
    (tarfile.SYMTYPE, "a symbolic link"), (tarfile.LNKTYPE, "a hard link"),
    (tarfile.CHRTYPE, "a device"), (tarfile.FIFOTYPE, "a FIFO"),
])
def test_links_devices_and_fifos_are_refused(tmp_path, kind, words):
    info = tarfile.TarInfo("package/odd")
    info.type = kind
    info.linkname = "/etc/passwd"
    archive = make_tar(tmp_path / "a.tar", [(info, None)], mode="w")
    with pytest.raises(UnsafeArchiveError, match=f"'package/odd' is {words}"):
        safe_extract(archive, tmp_path / "out")


def test_a_symlinked_folder_inside_the_target_cannot_be_used_to_climb_out(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "link").symlink_to(tmp_path)
    archive = make_tar(tmp_path / "a.tar", [file_member("link/escaped.txt")], mode="w")
    with pytest.raises(UnsafeArchiveError, match="would be written outside"):
        safe_extract(archive, tmp_path / "out")


def fake_npm(tmp_path, files):
    """An ``npm`` that answers ``npm pack NAME@VERSION --json --pack-destination DIR`` with a tarball."""
    import json
    import sys

    tarball = make_tar(tmp_path / "fake-1.0.0.tgz", [file_member(f"package/{name}", data)
                                                     for name, data in files.items()])
    script = tmp_path / "npm"
    script.write_text(f"#!{sys.executable}\n"
                      "import json, shutil, sys\n"
                      "destination = sys.argv[sys.argv.index('--pack-destination') + 1]\n"
                      f"shutil.copy({str(tarball)!r}, destination)\n"
                      f"print(json.dumps([{{'filename': {tarball.name!r}}}]))\n")
    script.chmod(0o755)
    return str(script)


def test_npm_package_fetches_once_and_unpacks_into_a_complete_folder(tmp_path):
    from neuronlab.tools.archives import npm_package

    npm = fake_npm(tmp_path, {"dist/tex-chtml.js": b"// mathjax"})
    folder = npm_package("@scope/fake", "1.0.0", tmp_path / "cache", npm=npm)
    assert folder.name == "@scope__fake@1.0.0" and (folder / ".complete").exists()
    assert (folder / "dist" / "tex-chtml.js").read_bytes() == b"// mathjax"
    assert npm_package("@scope/fake", "1.0.0", tmp_path / "cache", npm="/nonexistent/npm") == folder


def test_npm_package_says_what_npm_said_when_it_fails(tmp_path):
    from neuronlab.tools.archives import npm_package

    failing = tmp_path / "npm"
    failing.write_text("#!/bin/sh\necho 'npm error 404 Not Found' >&2\nexit 1\n")
    failing.chmod(0o755)
    with pytest.raises(RuntimeError, match="`npm pack nothing@9.9.9` failed: npm error 404 Not Found"):
        npm_package("nothing", "9.9.9", tmp_path / "cache", npm=str(failing))
    assert not (tmp_path / "cache" / "nothing@9.9.9").exists()
