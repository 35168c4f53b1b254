"""Finding and fetching the datasets (seqgan_tf/data/sources.py), an oracle pickle that would run code, and corpora
saved with a byte-order mark and CRLF. Tiny fake datasets with their hashes patched in, a throwaway HTTP server on
127.0.0.1 and file:// URLs stand in for the real sources, so nothing here leaves this machine."""
import dataclasses
import hashlib
import http.server
import os
import pathlib
import pickle
import re
import shlex
import socket
import threading
import zipfile
from types import SimpleNamespace

import numpy as np
import pytest

from seqgan_tf.data import sources
from seqgan_tf.data.corpus import read_lines

REAL_SHARED = sources.SHARED
POEM = "床 前 明 月 光\n".encode()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def places(tmp_path, monkeypatch):
    """Every root locate looks at, in tmp_path: no test reads the real shared data or writes ~/.keras."""
    monkeypatch.delenv("SEQGAN_DATA", raising=False)
    monkeypatch.setenv("SEQGAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(sources, "SHARED", tmp_path / "shared")
    return SimpleNamespace(env=tmp_path / "env", shared=tmp_path / "shared", cache=tmp_path / "cache")


def fake(monkeypatch, name, files, url="http://127.0.0.1:9/", archive=False):
    """Dataset `name` replaced by one holding `files` ({entry: bytes, or sha256 for an archive}) fetched from url."""
    entries = tuple(sources.Entry(n, h if archive else sha(h), url if archive else url + n, archive)
                    for n, h in files.items())
    monkeypatch.setitem(sources.DATASETS, name, dataclasses.replace(sources.DATASETS[name], entries=entries))


def put(root, subfolder, files):
    (root / subfolder).mkdir(parents=True, exist_ok=True)
    for n, data in files.items():
        (root / subfolder / n).write_bytes(data)


@pytest.fixture
def server(tmp_path):
    """HTTP on 127.0.0.1 (a free port) serving tmp_path/www; `requests` lists the paths asked for."""
    www, requests = tmp_path / "www", []
    www.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(www), **kwargs)

        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield SimpleNamespace(www=www, url=f"http://127.0.0.1:{httpd.server_port}/", requests=requests)
    httpd.shutdown()
    httpd.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_locate_tries_explicit_then_seqgan_data_then_shared_then_cache(places, monkeypatch):
    fake(monkeypatch, "poems", {"shi.txt": POEM})
    for root in (places.env, places.shared, places.cache):
        put(root, "poems", {"shi.txt": POEM})
    monkeypatch.setenv("SEQGAN_DATA", str(places.env))
    mine = places.env / "my_poems.txt"
    mine.write_text("anything: an explicit path is the user's choice, not checked")
    assert sources.locate("poems", explicit=mine) == mine
    assert sources.locate("poems") == places.env / "poems" / "shi.txt"
    monkeypatch.delenv("SEQGAN_DATA")
    assert sources.locate("poems") == places.shared / "poems" / "shi.txt"
    (places.shared / "poems" / "shi.txt").unlink()
    assert sources.locate("poems", download=False) == places.cache / "poems" / "shi.txt"


def test_missing_explicit_path_is_named_in_one_line(tmp_path):
    with pytest.raises(sources.DataNotFound, match="poems: .*nope.txt does not exist") as e:
        sources.locate("poems", explicit=tmp_path / "nope.txt")
    assert "\n" not in str(e.value)


def test_found_copy_with_another_hash_is_refused(places, monkeypatch):
    fake(monkeypatch, "poems", {"shi.txt": POEM})
    edited = POEM + "改\n".encode()
    put(places.shared, "poems", {"shi.txt": edited})
    with pytest.raises(ValueError, match=re.escape(f"(sha256 expected {sha(POEM)}, got {sha(edited)})")):
        sources.locate("poems")


def test_download_then_the_cache_answers(places, monkeypatch, server):
    fake(monkeypatch, "poems", {"shi.txt": POEM}, server.url)
    (server.www / "shi.txt").write_bytes(POEM)
    path = sources.locate("poems")
    assert path == places.cache / "poems" / "shi.txt" and path.read_bytes() == POEM
    assert os.listdir(places.cache / "poems") == ["shi.txt"]            # no temporary left behind
    assert sources.locate("poems") == path and server.requests == ["/shi.txt"]


def test_download_with_wrong_hash_is_deleted(places, monkeypatch, server):
    fake(monkeypatch, "poems", {"shi.txt": POEM}, server.url)
    (server.www / "shi.txt").write_bytes(b"<html>rate limited</html>")
    with pytest.raises(ValueError, match=f"expected {sha(POEM)}, got {sha(b'<html>rate limited</html>')}.*deleted"):
        sources.locate("poems")
    assert os.listdir(places.cache / "poems") == []


def test_offline_says_dataset_url_and_folder_in_one_line(places, monkeypatch):
    url = f"http://127.0.0.1:{closed_port()}/"
    fake(monkeypatch, "poems", {"shi.txt": POEM}, url)
    for download in (True, False):
        with pytest.raises(sources.DataNotFound) as e:
            sources.locate("poems", download=download)
        message = str(e.value)
        assert message.startswith("poems: ") and url + "shi.txt" in message and "\n" not in message
        assert str(places.cache / "poems") in message
    assert isinstance(e.value, FileNotFoundError)


def test_file_url_and_a_folder_of_several_files(places, monkeypatch, tmp_path):
    files = {"obama.train.txt": b"Yes we can.\n", "obama.valid.txt": b"Thank you.\r\n"}
    put(tmp_path, "remote", files)
    fake(monkeypatch, "obama", files, (tmp_path / "remote").as_uri() + "/")
    folder = sources.locate("obama")
    assert folder == places.cache / "obama"
    assert {n: (folder / n).read_bytes() for n in files} == files


def test_midi_sha256_recipe(tmp_path):
    put(tmp_path, "MIDI", {"b.mid": b"z", "a.mid": b"abc", "notes.txt": b"ignored"})
    put(tmp_path / "MIDI", "chords", {"a.mid": b"ignored too"})
    assert sources.midi_sha256(tmp_path / "MIDI") == sha(b"a.mid\0" b"3\0" b"abc" b"b.mid\0" b"1\0" b"z")


def test_zip_archive_gives_only_midi_files_and_nothing_escapes(places, monkeypatch, tmp_path, server):
    tunes = {"a.mid": b"MThd a", "b.mid": b"MThd b"}
    put(tmp_path, "expected", tunes)
    with zipfile.ZipFile(server.www / "archive.zip", "w") as z:
        for n, data in tunes.items():
            z.writestr(f"nottingham-dataset-abc/MIDI/{n}", data)
        z.writestr("nottingham-dataset-abc/MIDI/chords/a.mid", b"a part, not a tune")
        z.writestr("nottingham-dataset-abc/README.md", b"readme")
        for evil in ("nottingham-dataset-abc/MIDI/../../escaped1.mid", "../MIDI/escaped2.mid",
                     "x/MIDI/..\\escaped3.mid", "/abs/MIDI/escaped4.mid"):
            z.writestr(evil, b"outside")
    fake(monkeypatch, "nottingham", {"MIDI": sources.midi_sha256(tmp_path / "expected")},
         server.url + "archive.zip", archive=True)
    midi = sources.locate("nottingham")
    assert midi == places.cache / "nottingham" / "MIDI"
    assert sorted(os.listdir(midi)) == ["a.mid", "b.mid"] and os.listdir(midi.parent) == ["MIDI"]
    assert not list(tmp_path.parent.rglob("escaped*"))


def test_describe_has_a_line_per_dataset_and_downloads_nothing(places, monkeypatch):
    fake(monkeypatch, "poems", {"shi.txt": POEM})
    put(places.shared, "poems", {"shi.txt": POEM})
    lines = sources.describe()
    assert len(lines) == len(sources.DATASETS) and all("\n" not in line for line in lines)
    found = {line.split()[0]: line for line in lines}
    assert str(places.shared / "poems" / "shi.txt") in found["poems"]
    assert sources.DATASETS["oracle"].entries[0].url in found["oracle"] and "would be downloaded" in found["oracle"]
    assert not places.cache.exists()


@pytest.mark.skipif(not REAL_SHARED.is_dir(), reason="../shared/data not beside the checkout")
def test_real_shared_data_matches_every_declared_hash(monkeypatch):
    monkeypatch.setattr(sources, "SHARED", REAL_SHARED)
    for name, ds in sources.DATASETS.items():
        assert sources.locate(name, download=False) == ds.path(REAL_SHARED / ds.subfolder)   # hashes checked


class Touch:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return pathlib.Path.touch, (pathlib.Path(self.target),)


class System(Touch):
    def __reduce__(self):
        return os.system, (f"touch {shlex.quote(str(self.target))}",)


@pytest.mark.parametrize("payload, forbidden", [(Touch, "pathlib.Path.touch"), (System, "posix.system")])
def test_oracle_pickle_that_would_run_code_is_refused(tmp_path, payload, forbidden):
    from seqgan_tf.models import Oracle, OracleFormatError
    pickle.loads(pickle.dumps(payload(tmp_path / "control")))     # the payload does work with plain pickle
    assert (tmp_path / "control").exists()
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps([payload(tmp_path / "pwned")] + [np.zeros(3, np.float32)] * 14))
    with pytest.raises(OracleFormatError, match=re.escape(f"{path} refers to {forbidden}")) as e:
        Oracle.from_pickle(path)
    assert "\n" not in str(e.value) and not (tmp_path / "pwned").exists()


@pytest.mark.skipif(not (REAL_SHARED / "official_oracle").is_dir(), reason="../shared/data not beside the checkout")
def test_official_oracle_is_bit_identical_to_a_plain_pickle_load():
    from seqgan_tf.models import Oracle
    path = REAL_SHARED / "official_oracle" / "target_params_py3.pkl"
    with open(path, "rb") as f:
        p = pickle.load(f, encoding="latin1")
    oracle = Oracle.from_pickle(path)
    gates = [p[1 + 3 * g: 4 + 3 * g] for g in range(4)]
    expected = [p[0], np.concatenate([w for w, _, _ in gates], 1), np.concatenate([u for _, u, _ in gates], 1),
                np.concatenate([b for _, _, b in gates]), p[13], p[14]]
    got = [v.numpy() for v in (oracle.embedding, oracle.w_x, oracle.w_h, oracle.b, oracle.w_out, oracle.b_out)]
    assert all(g.dtype == e.dtype and g.tobytes() == e.tobytes() for g, e in zip(got, expected))


def test_read_lines_drops_a_byte_order_mark_and_reads_crlf(tmp_path):
    path = tmp_path / "saved_by_notepad.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "床 前 明 月 光\r\n\r\n疑 是 地 上 霜\r\n".encode())
    assert read_lines(path) == [(1, "床 前 明 月 光"), (3, "疑 是 地 上 霜")]
    path.write_bytes(b"\xef\xbb\xbfok\n\xff")                    # the bad byte is on line 2, BOM or not
    with pytest.raises(ValueError, match=r"saved_by_notepad.txt:2: not UTF-8"):
        read_lines(path)


def test_mirror_url_stands_in_for_every_pinned_host(monkeypatch, server, places):
    """$SEQGAN_DATA_URL/<subfolder>/<name> replaces the pinned URL; the sha256 check stays the same."""
    fake(monkeypatch, "poems", {"shi.txt": POEM}, url="https://unreachable.invalid/")
    put(server.www, "poems", {"shi.txt": POEM})
    monkeypatch.setenv("SEQGAN_DATA_URL", server.url.rstrip("/"))
    assert sources.locate("poems").read_bytes() == POEM and server.requests == ["/poems/shi.txt"]
    (places.cache / "poems" / "shi.txt").unlink()
    put(server.www, "poems", {"shi.txt": b"other poems\n"})
    with pytest.raises(ValueError, match="not the published data"):
        sources.locate("poems")
