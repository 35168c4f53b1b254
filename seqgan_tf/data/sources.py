"""Every dataset the project reads: where it is on this machine, or where to fetch it from.

`locate(name)` looks, in order, at a path the user passes, `$SEQGAN_DATA/<subfolder>`, `../shared/data/<subfolder>`
beside the checkout, the download cache (`$SEQGAN_CACHE`, else `~/.keras/datasets/seqgan_tf/<subfolder>`, where
keras.utils.get_file keeps its downloads) and last downloads into that cache from a URL pinned to a commit. A copy
found anywhere but an explicit path must match the sha256 recorded here, so a result never silently comes from
other data than the one it claims; a download is written under a temporary name and renamed only once its hash
matches, so an interrupted or wrong download never leaves a file that a later run would trust.

`$SEQGAN_DATA_URL` (a mirror, or a local HTTP server) stands in for every pinned host: a file is then fetched from
<base>/<subfolder>/<name> (the Nottingham archive from <base>/nottingham/MIDI.zip) and checked by the same sha256,
so a mirror can make a download possible but never change the data.

No TensorFlow here, so `python -m seqgan_tf data` (see `describe`) answers at once.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import sys
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tqdm import tqdm

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"     # ../shared/data beside the checkout
TIMEOUT = 60                                                          # seconds without an answer = offline


class DataNotFound(FileNotFoundError):
    """A dataset is nowhere on this machine and could not be downloaded; the message (one line) says what to get
    from where and where to put it."""


@dataclass(frozen=True)
class Entry:
    """One thing a dataset's folder holds: a file (`sha256` of its bytes), or with `archive` the folder `name` of
    MIDI files extracted from the zip at `url` (`sha256` = `midi_sha256` of it: a GitHub archive's own bytes are
    not stable, its content is)."""
    name: str
    sha256: str
    url: str
    archive: bool = False


@dataclass(frozen=True)
class Dataset:
    name: str
    subfolder: str              # under $SEQGAN_DATA, ../shared/data and the cache
    entries: tuple[Entry, ...]
    licence: str

    def path(self, folder: Path) -> Path:
        """What `locate` returns for a copy in `folder`: the one entry itself, or the folder holding several."""
        return folder / self.entries[0].name if len(self.entries) == 1 else folder


_GH = "https://raw.githubusercontent.com"
_OBAMA = f"{_GH}/mhrmm/thesis-jillian-james/e0829a2/SeqGAN/obama"     # PROVENANCE.md gives the short commit only
DATASETS = {d.name: d for d in (
    Dataset("oracle", "official_oracle", (Entry(
        "target_params_py3.pkl", "5ac794a695dd6e0eb2bb689f3dfda55e4e0053e8c0399e6242630a95f1e60e8a",
        f"{_GH}/LantaoYu/SeqGAN/aa79a6fff1c4127fd8d0e92df8b647cf48b30787/save/target_params_py3.pkl"),),
        "no licence file; published by the SeqGAN authors with their code (LantaoYu/SeqGAN)"),
    Dataset("poems", "poems", (Entry(
        "shi.txt", "ac03c5fbb07776f0e43cb1ccfc74732f5313ab3d832df81c8e0db327df35e666",
        f"{_GH}/geek-ai/Texygen/2c0867460bd6713900da963a10e83cfcbb9dffa6/data/shi.txt"),),
        "MIT (geek-ai/Texygen)"),
    Dataset("nottingham", "nottingham", (Entry(
        "MIDI", "b3e6ec50aeb73e04dae73b28707f0575693cf9a7cfd81b4248687ce5295469d0",
        "https://codeload.github.com/jukedeck/nottingham-dataset/zip/bcb2afc67d291acdd689ed0c22ab2a8a480f38a6",
        archive=True),),
        "GPL-3.0 (jukedeck/nottingham-dataset)"),
    Dataset("obama", "obama", (
        Entry("obama.train.txt", "07d076d681fd1fc5beb1ea87beb1c4a46a820404415ef40aa77e369742800a92",
              f"{_OBAMA}/obama.train.txt"),
        Entry("obama.valid.txt", "0b79a1c27395ebfd5bcff25d58dc72c145de77434a98577d34c90ea712f5ed75",
              f"{_OBAMA}/obama.valid.txt")),
        "public domain (speeches of a U.S. President in office; mhrmm/thesis-jillian-james)"),
)}


def cache_root() -> Path:
    """$SEQGAN_CACHE, else keras.utils.get_file's default place ($KERAS_HOME or ~/.keras, then datasets/)."""
    if os.environ.get("SEQGAN_CACHE"):
        return Path(os.environ["SEQGAN_CACHE"]).expanduser()
    return Path(os.environ.get("KERAS_HOME") or "~/.keras").expanduser() / "datasets" / "seqgan_tf"


def midi_sha256(folder) -> str:
    """The Nottingham hash: sha256 over the files `*.mid` directly in `folder`, sorted by name (code points), each
    fed as its name (UTF-8), NUL, its size in bytes (decimal), NUL, its bytes. Subfolders (melody/, chords/) are
    not part of it, as the music loader does not read them."""
    h = hashlib.sha256()
    for p in _midi_files(folder):
        data = p.read_bytes()
        h.update(f"{p.name}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def _midi_files(folder) -> list[Path]:
    return sorted((p for p in Path(folder).glob("*.mid") if p.is_file()), key=lambda p: p.name)


def _sha256(path: Path) -> str:
    return midi_sha256(path) if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()


def _verify(ds: Dataset, folder: Path) -> None:
    """Every entry in `folder` against its sha256 (ValueError, one line, if one differs). Done on each call, not
    remembered in a marker file: all four datasets hash in about 35 ms, and a marker could go stale."""
    for e in ds.entries:
        got = _sha256(folder / e.name)
        if got != e.sha256:
            raise ValueError(f"{ds.name}: {folder / e.name} is not the published data (sha256 expected {e.sha256}, "
                             f"got {got}); replace or remove it")


def _present(entries, folder: Path) -> bool:
    return all((folder / e.name).is_dir() if e.archive else (folder / e.name).is_file() for e in entries)


def _fetch(url: str, dest: Path, desc: str) -> str:
    """Download `url` to `dest` (a temporary name) with a progress bar on stderr; returns the bytes' sha256."""
    h = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=TIMEOUT) as r, open(dest, "wb") as f, \
            tqdm(total=int(r.headers.get("Content-Length") or 0) or None, unit="B", unit_scale=True,
                 desc=desc, file=sys.stderr) as bar:
        while chunk := r.read(1 << 16):
            f.write(chunk)
            h.update(chunk)
            bar.update(len(chunk))
    return h.hexdigest()


def _extract_midi(archive: Path, dest: Path) -> None:
    """The members <top>/MIDI/<name>.mid of the zip into dest/<name>.mid; only the base name of a member that
    passes the check is ever used as a path, so no member ('..', absolute, backslashes) can write outside dest."""
    dest.mkdir()
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            parts = PurePosixPath(info.filename).parts
            if (len(parts) == 3 and parts[1] == "MIDI" and parts[2].endswith(".mid") and ".." not in parts
                    and "\\" not in info.filename and not info.is_dir()):
                with z.open(info) as src, open(dest / parts[2], "wb") as out:
                    shutil.copyfileobj(src, out)


def url_of(ds: Dataset, e: Entry) -> str:
    """Where e is fetched from: its pinned URL, or the same file under $SEQGAN_DATA_URL."""
    base = os.environ.get("SEQGAN_DATA_URL", "").rstrip("/")
    return f"{base}/{ds.subfolder}/{e.name}{'.zip' if e.archive else ''}" if base else e.url


def _download(ds: Dataset, e: Entry, folder: Path) -> None:
    """e into folder/e.name, verified before it is renamed there; a hash mismatch deletes what came."""
    url = url_of(ds, e)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{e.name}.", dir=folder))
    try:
        got = _fetch(url, tmp / "download", f"{ds.name}: {e.name}")
        if e.archive:
            _extract_midi(tmp / "download", tmp / e.name)
            got = midi_sha256(tmp / e.name)
        else:
            os.replace(tmp / "download", tmp / e.name)
        if got != e.sha256:
            raise ValueError(f"{ds.name}: the download from {url} is not the published data (sha256 expected "
                             f"{e.sha256}, got {got}); it was deleted")
        os.replace(tmp / e.name, folder / e.name)
    except (OSError, http.client.HTTPException, zipfile.BadZipFile) as err:
        raise DataNotFound(_missing(ds, e, folder, f"the download failed ({' '.join(str(err).split())})")) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _missing(ds: Dataset, e: Entry, folder: Path, why: str) -> str:
    url = url_of(ds, e)
    what = (f"the *.mid files of MIDI/ in the zip archive from {url} into {folder / e.name}" if e.archive
            else f"{url} into {folder}")
    return f"{ds.name}: not found and {why}; put {what} by hand, or set SEQGAN_DATA to a folder holding {ds.subfolder}/"


def _roots():
    """The folders of subfolders in the order `locate` tries them, the download cache last."""
    if os.environ.get("SEQGAN_DATA"):
        yield Path(os.environ["SEQGAN_DATA"]).expanduser()
    yield SHARED
    yield cache_root()


def locate(name: str, explicit=None, download: bool = True) -> Path:
    """The dataset's file (oracle, poems), MIDI folder (nottingham) or folder of files (obama). An explicit path
    is the user's choice and is returned as it is (DataNotFound if it does not exist); any other copy found is
    verified, and a missing one is downloaded into the cache (DataNotFound, one line, if that is off or fails)."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    ds = DATASETS[name]
    if explicit is not None:
        if not Path(explicit).exists():
            raise DataNotFound(f"{name}: {explicit} does not exist")
        return Path(explicit)
    for root in _roots():
        if _present(ds.entries, root / ds.subfolder):
            _verify(ds, root / ds.subfolder)
            return ds.path(root / ds.subfolder)
    folder = cache_root() / ds.subfolder
    for e in ds.entries:
        if not _present([e], folder):
            if not download:
                raise DataNotFound(_missing(ds, e, folder, "downloading is off"))
            _download(ds, e, folder)
    _verify(ds, folder)
    return ds.path(folder)


def describe() -> list[str]:
    """One line per dataset: where it is found, or where it would be downloaded from (nothing is downloaded)."""
    lines = []
    for name, ds in DATASETS.items():
        try:
            where = str(locate(name, download=False))
        except DataNotFound:
            where = f"not here; would be downloaded from {', '.join(url_of(ds, e) for e in ds.entries)} into " \
                    f"{cache_root() / ds.subfolder}"
        except (ValueError, OSError) as err:
            where = str(err)
        lines.append(f"{name:<10} {where}  [{ds.licence}]")
    return lines
