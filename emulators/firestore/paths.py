"""Resource names and field paths, parsed and validated as Firestore does.

A document's *path* is the tuple of segments after `.../documents/`: a document has an even
number of segments, a collection an odd number, the database root none.
"""

from __future__ import annotations

import re

from .errors import invalid

Path = tuple[str, ...]

_DB_RE = re.compile(r"^projects/([^/]+)/databases/([^/]+)$")
_SIMPLE_FIELD = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")
_RESERVED_ID = re.compile(r"^__.*__$")
_NUMERIC_ID = re.compile(r"^__id-?[0-9]+__$")  # Datastore-style numeric ids stay legal
MAX_NAME_BYTES = 6 * 1024
MAX_ID_BYTES = 1500


def parse_database(database: str) -> str:
    if not _DB_RE.match(database or ""):
        raise invalid(f'Invalid database name "{database}": want projects/{{p}}/databases/{{d}}.')
    return database


def split_name(name: str) -> tuple[str, Path]:
    """`projects/p/databases/d/documents/a/b` -> ("projects/p/databases/d", ("a", "b"))."""
    if not isinstance(name, str) or not name:
        raise invalid("Missing resource name.")
    if len(name.encode()) > MAX_NAME_BYTES:
        raise invalid("Resource name is too long.")
    parts = name.split("/")
    if len(parts) < 5 or parts[0] != "projects" or parts[2] != "databases":
        raise invalid(f'Invalid resource name "{name}".')
    if parts[4] != "documents" or not parts[1] or not parts[3]:
        raise invalid(f'Invalid resource name "{name}".')
    path = tuple(parts[5:])
    for seg in path:
        _check_segment(seg, name)
    return "/".join(parts[:4]), path


def _check_segment(seg: str, name: str) -> None:
    if not seg:
        raise invalid(f'Invalid resource name "{name}": path segments must not be empty.')
    if seg in (".", ".."):
        raise invalid(f'Invalid resource name "{name}": "{seg}" is not a valid id.')
    if _RESERVED_ID.match(seg) and not _NUMERIC_ID.match(seg):
        raise invalid(f'Resource id "{seg}" is invalid because it is reserved.')
    if len(seg.encode()) > MAX_ID_BYTES:
        raise invalid(f'Resource id "{seg[:40]}..." is longer than {MAX_ID_BYTES} bytes.')


def parse_document_name(name: str, database: str | None = None) -> tuple[str, Path]:
    db, path = split_name(name)
    if len(path) == 0 or len(path) % 2:
        raise invalid(
            f'Document name "{name}" has {len(path)} path segments; a document needs an even '
            "number (collection/id pairs)."
        )
    if database is not None and db != database:
        raise invalid(f'Document "{name}" is not in database "{database}".')
    return db, path


def parse_parent(parent: str, database: str | None = None) -> tuple[str, Path]:
    """The parent of a query or list call: the database root or a document."""
    db, path = split_name(parent)
    if len(path) % 2:
        raise invalid(f'Invalid parent "{parent}": it must be a document or the database root.')
    if database is not None and db != database:
        raise invalid(f'Parent "{parent}" is not in database "{database}".')
    return db, path


def check_collection_id(cid: str, what: str = "collection id") -> None:
    if not cid or "/" in cid:
        raise invalid(f'Invalid {what} "{cid}".')
    _check_segment(cid, cid)


def document_name(db: str, path: Path) -> str:
    return f"{db}/documents/" + "/".join(path)


def parse_field_path(text: str) -> Path:
    """Split a field path (`a.b`, `` `x.y`.z ``) into segments; INVALID_ARGUMENT if malformed."""
    if not text:
        raise invalid("Field path must not be empty.")
    segs: list[str] = []
    i, n = 0, len(text)
    while True:
        if i < n and text[i] == "`":
            i += 1
            buf = []
            while True:
                if i >= n:
                    raise invalid(f'Invalid field path "{text}": unterminated backquote.')
                ch = text[i]
                if ch == "\\":
                    if i + 1 >= n:
                        raise invalid(f'Invalid field path "{text}": dangling escape.')
                    buf.append(text[i + 1])
                    i += 2
                elif ch == "`":
                    i += 1
                    break
                else:
                    buf.append(ch)
                    i += 1
            seg = "".join(buf)
            if not seg:
                raise invalid(f'Invalid field path "{text}": empty segment.')
        else:
            j = text.find(".", i)
            j = n if j < 0 else j
            seg = text[i:j]
            if not _SIMPLE_FIELD.match(seg):
                raise invalid(
                    f'Invalid field path "{text}": "{seg}" must be quoted with backquotes.'
                )
            i = j
        segs.append(seg)
        if i >= n:
            break
        if text[i] != ".":
            raise invalid(f'Invalid field path "{text}".')
        i += 1
        if i >= n:
            raise invalid(f'Invalid field path "{text}": trailing dot.')
    return tuple(segs)


def quote_segment(seg: str) -> str:
    if _SIMPLE_FIELD.match(seg):
        return seg
    return "`" + seg.replace("\\", "\\\\").replace("`", "\\`") + "`"


def canonical_field_path(path: Path) -> str:
    return ".".join(quote_segment(s) for s in path)
