"""Read a corpus folder into ``Article``s: find the files, decode them, pick the reader.

Supported: .txt, .md, .html/.htm and .jsonl (one article per line); .pdf and .docx
with their extras, and .eml. Content is recognised by its bytes: a PDF named .txt is
read as a PDF, and a file that needs a missing extra is reported with the install
command. An optional
sidecar ``metadata.jsonl`` at the corpus root adds metadata the files cannot carry,
one JSON object per article keyed by ``path`` (and ``id`` for a .jsonl line).
Text is decoded as UTF-8 (a BOM is dropped); a file that is not UTF-8 is decoded as
Windows-1252 and reported as a warning; a binary file is skipped and reported.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from ..errors import CorpusError
from ..models import Article, Skipped
from .documents import DOCUMENT_SUFFIXES, read_document, sniff
from .formats import (
    SUFFIXES,
    doc_id_for,
    html_text,
    iter_json_lines,
    jsonl_record,
    read_html,
    read_jsonl,
    read_markdown,
    read_text_file,
)
from .text import make_article

__all__ = [
    "METADATA_FILE",
    "CorpusFile",
    "FileRead",
    "list_files",
    "read_file",
    "read_corpus",
    "load_metadata",
    "source_text",
    "decode",
    "probe_file",
    "unmatched_metadata",
]

METADATA_FILE = "metadata.jsonl"
FALLBACK_ENCODING = "cp1252"
#: A one-article file (.txt, .md, .html) larger than this is skipped unread: it would be
#: held whole in memory, and no reader wants one article of that length.
MAX_ARTICLE_BYTES = 8 * 1024 * 1024
#: A .jsonl file larger than this is streamed: hashed, then parsed line by line.
STREAM_BYTES = 8 * 1024 * 1024
#: Bad lines of one streamed file listed one by one; the rest are counted.
MAX_REPORTED_LINES = 100
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class CorpusFile:
    """A file of the corpus: ``source`` is its path inside the corpus, with / separators;
    ``location`` is where it is on disk."""

    # Slots: an update holds one per corpus file, and a __dict__ each was 300 bytes
    # (26 MB of a 89,000-file listing, in the parent and every forked worker).

    source: str
    location: str
    size: int
    mtime_ns: int

    @property
    def path(self) -> Path:
        # Made on demand: a Path per file was a third of listing a 89,000-file corpus.
        return Path(self.location)


@dataclass(frozen=True)
class FileRead:
    """What reading one file gave: its articles, what was skipped, and caveats.

    For a streamed (large .jsonl) file ``articles`` is an iterator that reads as it
    goes, and ``skipped`` and ``warnings`` are lists that fill while it is consumed.
    """

    file: CorpusFile
    digest: str
    articles: Sequence[Article] | Iterator[Article]
    skipped: Sequence[Skipped] = ()
    warnings: Sequence[Skipped] = ()


def _require_folder(corpus: Path) -> None:
    if not corpus.exists():
        raise CorpusError(f"corpus folder {corpus} does not exist; pass --corpus DIR or create it")
    if not corpus.is_dir():
        raise CorpusError(f"corpus {corpus} is not a folder; pass --corpus DIR with a folder of articles")


_SCANDIR_FD = os.scandir in os.supports_fd
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def list_files(corpus: str | os.PathLike[str]) -> tuple[list[CorpusFile], list[Skipped]]:
    """Every article file under ``corpus`` (sorted), and the entries that could not be read.

    Hidden files and folders are passed over, as are files of other types. Symbolic
    links are followed once: a link back into a folder already seen is reported.
    """
    root = Path(corpus)
    _require_folder(root)
    walk = _Walk()
    walk.folder(str(root), "")
    walk.files.sort(key=lambda f: f.source)
    return walk.files, walk.problems


class _Walk:
    """One listing of a corpus folder: the files found, the problems met, and the
    folders seen (a symbolic link back into one is a loop). Strings, not Paths,
    while walking: listing must stay quick for an update of one file in a corpus
    of many."""

    def __init__(self) -> None:
        self.files: list[CorpusFile] = []
        self.problems: list[Skipped] = []
        self.seen: set[tuple[int, int]] = set()

    def folder(self, folder: str, rel: str) -> None:
        shown = rel.rstrip("/") or "."
        try:
            info = os.stat(folder)
        except OSError as exc:
            self.problems.append(Skipped(shown, f"cannot read folder ({exc.strerror})"))
            return
        try:
            # Listed through an open descriptor where the platform can: each file's stat
            # is then relative to it, not a walk of the whole path again.
            handle = os.open(folder, os.O_RDONLY | _O_DIRECTORY) if _SCANDIR_FD else None
        except OSError as exc:
            self.problems.append(Skipped(shown, f"cannot list folder ({exc.strerror})"))
            return
        try:
            key = (info.st_dev, info.st_ino)
            if key in self.seen:
                self.problems.append(Skipped(shown, "symbolic link loop; remove the link"))
                return
            self.seen.add(key)
            # By name: of two links to one folder, the first name is the one indexed, whatever
            # order the file system lists them in.
            entries = sorted(os.scandir(folder if handle is None else handle), key=lambda e: e.name)
            prefix = folder + os.sep
            for entry in entries:
                if not entry.name.startswith("."):
                    self.entry(entry, rel, prefix)
        except OSError as exc:
            self.problems.append(Skipped(shown, f"cannot list folder ({exc.strerror})"))
        finally:
            if handle is not None:
                os.close(handle)

    def entry(self, entry: os.DirEntry[str], rel: str, prefix: str) -> None:
        """One entry of a folder: a file of a listed type, or a folder to walk."""
        name = entry.name
        source = rel + name
        if not name.isascii():
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:  # undecodable bytes: the name could not be stored or cited
                self.problems.append(Skipped(os.fsencode(source).decode("utf-8", "backslashreplace"),
                                             "name is not valid UTF-8; rename it"))
                return
        try:
            st = entry.stat()
        except OSError as exc:
            reason = "symbolic link loop or broken link" if entry.is_symlink() else exc.strerror
            self.problems.append(Skipped(source, f"cannot read ({reason})"))
            return
        if stat.S_ISDIR(st.st_mode):
            self.folder(prefix + name, source + "/")
        elif stat.S_ISREG(st.st_mode) and name[name.rfind("."):].lower() in _LISTED and source != METADATA_FILE:
            self.files.append(CorpusFile(source, prefix + name, st.st_size, st.st_mtime_ns))


_LISTED = SUFFIXES + DOCUMENT_SUFFIXES


def decode(data: bytes, source: str) -> tuple[str, str | None]:
    """Decode a file's bytes; returns the text and a warning (None when it was UTF-8).

    Raises ``CorpusError`` for a file that looks binary.
    """
    if b"\x00" in data[:65536]:
        raise CorpusError(f"{source}: binary file (NUL bytes); remove it from the corpus")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        where = exc.start
    try:
        text = data.decode(FALLBACK_ENCODING)
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        used = "latin-1"
    else:
        used = FALLBACK_ENCODING
    return text, f"not valid UTF-8 (byte {where}); decoded as {used}: save it as UTF-8 to be sure"


def load_metadata(corpus: str | os.PathLike[str]) -> tuple[dict[str, dict[str, str]], list[Skipped]]:
    """The sidecar ``metadata.jsonl``: ``{key: metadata}``, key ``path`` or ``path#id``."""
    path = Path(corpus) / METADATA_FILE
    found: dict[str, dict[str, str]] = {}
    problems: list[Skipped] = []
    if not path.is_file():
        return found, problems
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return found, [Skipped(METADATA_FILE, f"cannot read ({exc}); fix or remove it")]
    for lineno, record in iter_json_lines(text):
        if not isinstance(record, dict) or not isinstance(record.get("path"), str):
            problems.append(
                Skipped(f"{METADATA_FILE}:{lineno}", 'invalid metadata line: write a JSON object with a "path"')
            )
            continue
        key = record.pop("path")
        record_id = record.pop("id", None)
        if record_id is not None:
            key = f"{key}#{record_id}"
        found[key] = {k: str(v) for k, v in record.items() if v is not None and str(v).strip()}
    return found, problems


def unmatched_metadata(metadata: Mapping[str, Mapping[str, str]], files: Sequence[CorpusFile]) -> list[Skipped]:
    """A ``metadata.jsonl`` entry whose path names no corpus file: its metadata would
    be lost without a word (a typo, or a file renamed)."""
    sources = {f.source for f in files}
    return [
        Skipped(f"{METADATA_FILE}: {key}", f"names no file of the corpus ({key.partition('#')[0]}); fix the path or remove the line")
        for key in metadata
        if key.partition("#")[0] not in sources
    ]


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_error(source: str, exc: OSError) -> CorpusError:
    if isinstance(exc, FileNotFoundError):
        return CorpusError(f"{source}: vanished while indexing; run the command again")
    return CorpusError(f"{source}: cannot read ({exc.strerror or exc}); check its permissions")


def probe_file(file: CorpusFile) -> str:
    """The content hash of ``file`` (as ``FileRead.digest``), read in chunks.

    Raises ``CorpusError`` for what ``read_file`` refuses outright: a file that is
    unreadable, gone, binary, empty, or too large for one article.
    """
    if not file.source.lower().endswith(".jsonl") and file.size > MAX_ARTICLE_BYTES:
        raise CorpusError(f"{file.source}: too large for one article; split it")
    digest = _stream_digest(file)
    if file.size == 0:
        raise CorpusError(f"{file.source}: empty file; nothing to index")
    return digest


def _stream_digest(file: CorpusFile) -> str:
    digest = hashlib.sha256()
    try:
        with open(file.location, "rb") as fh:
            first = fh.read(65536)
            if b"\x00" in first and sniff(first, os.path.splitext(file.location)[1].lower()) is None:
                raise CorpusError(f"{file.source}: binary file (NUL bytes); remove it from the corpus")
            digest.update(first)
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise _read_error(file.source, exc) from None
    return digest.hexdigest()


def _stream_jsonl(file: CorpusFile, metadata: Mapping[str, Mapping[str, str]]) -> FileRead:
    """A large .jsonl file, one line in memory at a time."""
    digest = _stream_digest(file)
    stream = _JsonlStream(file, metadata)
    return FileRead(file, digest, stream.articles(), stream.skipped, stream.warnings)


def _jsonl_lines(fh: Any) -> Iterator[tuple[int, bytes | None]]:
    """``(line number, bytes)``; ``None`` for a line too long to hold, read past in chunks."""
    lineno = 0
    while raw := fh.readline(MAX_ARTICLE_BYTES + 1):
        lineno += 1
        if len(raw) > MAX_ARTICLE_BYTES and not raw.endswith(b"\n"):
            while (rest := fh.readline(_CHUNK)) and not rest.endswith(b"\n"):
                pass
            yield lineno, None
        else:
            yield lineno, raw


class _JsonlStream:
    """One streamed read of a .jsonl file: its articles, yielded as they are parsed,
    and what was skipped or warned of, filled in meanwhile."""

    def __init__(self, file: CorpusFile, metadata: Mapping[str, Mapping[str, str]]) -> None:
        self.file = file
        prefix = f"{file.source}#"
        self.per_record = {k[len(prefix) :]: v for k, v in metadata.items() if k.startswith(prefix)}
        self.skipped: list[Skipped] = []
        self.warnings: list[Skipped] = []
        self.unlisted = 0

    def report(self, item: Skipped) -> None:
        if len(self.skipped) < MAX_REPORTED_LINES:
            self.skipped.append(item)
        else:
            self.unlisted += 1  # the report stays small whatever the file holds

    def articles(self) -> Iterator[Article]:
        source = self.file.source
        try:
            with open(self.file.location, "rb") as fh:
                for lineno, raw in _jsonl_lines(fh):
                    for item in self._line_items(lineno, raw):
                        if isinstance(item, Article):
                            yield item
                        else:
                            self.report(item)
        except OSError as exc:  # vanished or became unreadable half-way: keep what was read
            self.skipped.append(Skipped(source, str(_read_error(source, exc)).split(": ", 1)[-1]))
        if self.unlisted:
            self.skipped.append(Skipped(source, f"{self.unlisted} more bad lines (not listed)"))

    def _line_items(self, lineno: int, raw: bytes | None) -> list[Article | Skipped]:
        """The articles of one line and what of it is skipped (a bad line: one ``Skipped``)."""
        where = f"{self.file.source}:{lineno}"
        if raw is None:
            return [Skipped(where, f"line longer than {MAX_ARTICLE_BYTES // 2**20} MB; split the article")]
        if not raw.strip():
            return []
        try:
            line, warning = decode(raw, where)
            if warning and not self.warnings:
                self.warnings.append(Skipped(self.file.source, f"line {lineno}: {warning}"))
            return [
                jsonl_record(self.file.source, lineno, record, self.per_record)
                for _, record in iter_json_lines(line.rstrip("\r\n"))
            ]
        except Exception as exc:  # one bad line must not stop the file
            reason = str(exc).split(": ", 1)[-1] if isinstance(exc, CorpusError) else repr(exc)
            return [Skipped(where, f"{reason}; fix or remove the line")]


def read_file(file: CorpusFile, metadata: Mapping[str, Mapping[str, str]] | None = None) -> FileRead:
    """Read and parse one corpus file. Raises ``CorpusError`` if it cannot be read at all.

    Memory stays bounded whatever the file: a large .jsonl file is streamed, and a
    one-article file over ``MAX_ARTICLE_BYTES`` is refused without being read.
    """
    metadata = metadata or {}
    suffix = os.path.splitext(file.location)[1].lower()
    if suffix == ".jsonl" and file.size > STREAM_BYTES:
        return _stream_jsonl(file, metadata)
    if suffix != ".jsonl" and file.size > MAX_ARTICLE_BYTES:
        raise CorpusError(
            f"{file.source}: {file.size / 2**20:.0f} MB is too large for one article "
            f"(at most {MAX_ARTICLE_BYTES // 2**20} MB); split it into several files, or into lines of a .jsonl file"
        )
    # The limits hold for what is read, not for the size listed: a file that grew
    # since it was listed is read only up to one byte past its limit.
    limit = STREAM_BYTES if suffix == ".jsonl" else MAX_ARTICLE_BYTES
    data = _read_head(file, limit + 1)
    if len(data) > limit:
        if suffix == ".jsonl":
            return _stream_jsonl(file, metadata)
        raise CorpusError(
            f"{file.source}: grew past {MAX_ARTICLE_BYTES // 2**20} MB after it was listed, too large for one "
            "article; split it into several files, or into lines of a .jsonl file"
        )
    digest = file_digest(data)
    kind = sniff(data, suffix)
    if kind is not None:
        return FileRead(file, digest, (_document_article(file.source, data, kind, metadata.get(file.source, {})),))
    if suffix in DOCUMENT_SUFFIXES:
        raise CorpusError(f"{file.source}: not a {suffix[1:].upper()} file by its content; fix or remove it")
    text, warning = decode(data, file.source)
    warnings = (Skipped(file.source, warning),) if warning else ()
    if not text.strip():
        return FileRead(file, file_digest(data), (), (Skipped(file.source, "empty file; nothing to index"),))
    own = metadata.get(file.source, {})
    if suffix == ".jsonl":
        prefix = f"{file.source}#"
        per_record = {k[len(prefix) :]: v for k, v in metadata.items() if k.startswith(prefix)}
        articles, skipped = read_jsonl(file.source, text, per_record)
    elif suffix == ".md":
        articles, skipped = read_markdown(file.source, text, own)
    elif suffix in (".html", ".htm"):
        articles, skipped = read_html(file.source, text, own)
    else:
        articles, skipped = read_text_file(file.source, text, own)
    headline_only = [a for a in articles if not a.body and not a.captions and a.dropped]
    if headline_only and suffix != ".jsonl":
        warnings += (Skipped(file.source, f"only a headline ({headline_only[0].title[:60]!r}), no body text: "
                                          "nothing of it can be found; add the article text"),)
    return FileRead(file, digest, tuple(articles), tuple(skipped), warnings)


def _document_article(source: str, data: bytes, kind: str, metadata: Mapping[str, str]) -> Article:
    document = read_document(source, data, kind)
    if not document.text.strip():
        raise CorpusError(f"{source}: no text in this {kind.upper()} (a scan without a text layer?); nothing to index")
    meta = dict(metadata)
    for key, value in document.metadata.items():
        meta.setdefault(key, value)
    article = make_article(doc_id_for(source), source, document.text, title=document.title or None, metadata=meta)
    return replace(article, page_starts=document.page_starts)


def _read_head(file: CorpusFile, size: int) -> bytes:
    """At most ``size`` bytes from the start of ``file``."""
    try:
        with file.path.open("rb") as fh:
            # Sized by the file as it is now: read(size) would allocate all of ``size``
            # for every file (8 MB), a quarter more time to read a corpus.
            now = os.fstat(fh.fileno()).st_size
            data = fh.read(min(size, now + 1))
            if now < len(data) < size:  # it grew since: read on, up to the limit
                data += fh.read(size - len(data))
            return data
    except OSError as exc:
        raise _read_error(file.source, exc) from None


def read_corpus(corpus: str | os.PathLike[str]) -> Iterator[Article]:
    """Every article of ``corpus``, skipping what cannot be read."""
    files, _ = list_files(corpus)
    metadata, _ = load_metadata(corpus)
    for file in files:
        try:
            yield from read_file(file, metadata).articles
        except CorpusError:
            continue


def source_text(corpus: str | os.PathLike[str], source: str, doc_id: str | None = None) -> str:
    """The text that a passage's ``start``/``end`` index into.

    For .txt and .md that is the decoded file, for .html its extracted text, and for
    a .jsonl file the ``text`` of the line whose id is ``doc_id``.
    """
    path = Path(corpus) / source
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{source}: cannot read from corpus {corpus} ({exc.strerror})") from None
    suffix = path.suffix.lower()
    kind = sniff(data, suffix)
    if kind is not None:
        return read_document(source, data, kind).text
    text, _ = decode(data, source)
    if suffix in (".html", ".htm"):
        return html_text(text)
    if suffix == ".jsonl":
        for lineno, record in iter_json_lines(text):
            item = jsonl_record(source, lineno, record, {})
            if isinstance(item, Article) and item.doc_id == doc_id:
                return item.text
        raise CorpusError(f"{source}: no line with id {doc_id!r}; the corpus changed since indexing")
    return text
