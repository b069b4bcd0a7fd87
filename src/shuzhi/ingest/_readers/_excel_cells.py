"""What python-calamine does not tell about a sheet's cells, read from the workbook itself: code
number formats, error cells and formulas without a value. An .xlsx/.xlsm sheet's XML is searched
in one streamed pass (:func:`xlsx_marks`); a legacy .xls is read again by xlrd when searches of
its workbook stream find error cells or code formats (:func:`xls_marks`).

* **Code formats**: a number format made only of digit placeholders (``0``, ``#``) and literal
  text (``-``, space, parentheses, ``+``, ``"TEL"``, ``\\x``) is how Excel keeps leading zeros of
  codes: 2 under ``000`` shows ``002``, 3562021234 under ``0000-0000000`` shows ``0356-2021234``.
  :func:`code_format` turns such a format into a function giving that text for an integer.
* **Error cells** (``t="e"``: ``#DIV/0!``, ``#N/A`` …): calamine gives them as empty; here they
  are their text as shown.
* **Formulas without a value**: a workbook written by a program keeps the formula but no result
  until Excel or WPS calculates and saves it; calamine gives them as empty too.

The .xlsx pass costs the sheet's decompression and a few C-speed searches; cells are looked at
one by one only where a search finds something (a code format in use, an error, an empty
formula). Cells are located by their ``r`` reference; a writer that leaves ``r`` out (allowed,
rare) gets none of this.
"""

from __future__ import annotations

import importlib
import io
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO
from xml.etree import ElementTree

__all__ = ["CellMarks", "code_format", "xls_marks", "xlsx_marks"]

#: (0-based row, 0-based column)
Pos = tuple[int, int]
CodeFormat = Callable[[int], str]

_CHUNK = 16 << 20
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


@dataclass
class CellMarks:
    """Cells of one sheet that need more than calamine's value."""

    #: cells under a code format (see :func:`code_format`)
    formats: dict[Pos, CodeFormat] = field(default_factory=dict)
    #: error cells and their text (``#N/A``)
    errors: dict[Pos, str] = field(default_factory=dict)
    #: formula cells without a value
    uncomputed: list[Pos] = field(default_factory=list)


# -- number formats ----------------------------------------------------------------------------

#: characters Excel shows as themselves in a number format without quotes
_PLAIN = set("-+() ")


def code_format(code: str) -> CodeFormat | None:
    """The text Excel shows for an integer under the number format ``code``, when the format is
    made only of digit placeholders (``0``: a digit or a leading zero, ``#``: a digit if there is
    one) and literal text, and keeps leading zeros or adds literals (``000``, ``0000-0000000``,
    ``"TEL"0000``); None for any other format (General, dates, ``0.00``, ``#,##0``, sections,
    colours …): those cells are read as before."""
    parts: list[tuple[bool, str]] = []  # (is a digit placeholder, its character or the literal text)
    i = 0
    while i < len(code):
        ch = code[i]
        if ch in "0#":
            parts.append((True, ch))
        elif ch == '"':
            end = code.find('"', i + 1)
            if end < 0:
                return None
            parts.append((False, code[i + 1 : end]))
            i = end
        elif ch == "\\" and i + 1 < len(code):
            parts.append((False, code[i + 1]))
            i += 1
        elif ch in _PLAIN:
            parts.append((False, ch))
        else:  # . , % E @ ; [ ? / _ * letters: decimals, grouping, sections, dates, text …
            return None
        i += 1
    slots = sum(1 for slot, _ in parts if slot)
    zeros = sum(1 for slot, ch in parts if slot and ch == "0")
    if slots == 0 or (zeros < 2 and all(slot for slot, _ in parts)):  # "0", "#", "#0": as today
        return None

    def show(n: int) -> str:
        digits = str(abs(n))
        cut = max(0, len(digits) - slots)
        extra, digits = digits[:cut], digits[cut:]
        # right-aligned: the placeholders left of the digits show 0 (``0``) or nothing (``#``);
        # digits beyond the placeholders all go to the leftmost one
        missing = slots - len(digits)
        out, k = ["-" if n < 0 else ""], 0
        for slot, ch in parts:
            if not slot:
                out.append(ch)
                continue
            shown = digits[k - missing] if k >= missing else ("0" if ch == "0" else "")
            out.append(extra + shown if k == 0 else shown)
            k += 1
        return "".join(out)

    return show


# -- the workbook's parts ----------------------------------------------------------------------


def _rels(z: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target part) of ``part``."""
    folder, name = posixpath.split(part)
    path = posixpath.join(folder, "_rels", name + ".rels")
    if path not in z.NameToInfo:
        return {}
    out = {}
    for rel in ElementTree.fromstring(z.read(path)).iter(f"{_REL}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        target = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        out[rel.get("Id", "")] = (rel.get("Type", ""), posixpath.normpath(target))
    return out


def _code_styles(z: zipfile.ZipFile, styles: str | None) -> dict[int, CodeFormat]:
    """Cell style (``s``) index -> its code format, for the styles that have one."""
    if styles is None or styles not in z.NameToInfo:
        return {}
    root = ElementTree.fromstring(z.read(styles))
    formats: dict[str, CodeFormat] = {}
    for nf in root.iter(f"{_MAIN}numFmt"):
        f = code_format(nf.get("formatCode", ""))
        if f is not None:
            formats[nf.get("numFmtId", "")] = f
    out: dict[int, CodeFormat] = {}
    xfs = root.find(f"{_MAIN}cellXfs")
    if formats and xfs is not None:
        for i, xf in enumerate(xfs.iter(f"{_MAIN}xf")):
            f = formats.get(xf.get("numFmtId", "0"))
            if f is not None:
                out[i] = f
    return out


def _sheet_parts(z: zipfile.ZipFile, sheet: str) -> tuple[str | None, str | None]:
    """The XML part of the sheet named ``sheet`` and the workbook's styles part."""
    book = next(
        (t for kind, t in _rels(z, "").values() if kind.endswith("/officeDocument")), "xl/workbook.xml"
    )
    if book not in z.NameToInfo:
        return None, None
    rels = _rels(z, book)
    styles = next((t for kind, t in rels.values() if kind.endswith("/styles")), None)
    for s in ElementTree.fromstring(z.read(book)).iter(f"{_MAIN}sheet"):
        if s.get("name") == sheet:
            target = rels.get(s.get(f"{_DOC_REL}id", ""))
            return (target[1] if target is not None else None), styles
    return None, styles


# -- the sheet's cells -------------------------------------------------------------------------

_REF = re.compile(rb"""\sr\s*=\s*["']([A-Z]{1,3})([0-9]{1,7})["']""")
_T = re.compile(rb"""\st\s*=\s*["']([a-zA-Z]+)["']""")
#: attributes are searched as every writer known writes them: ``t="e"``, double quotes (a
#: pattern starting with literal text is searched many times faster than one with ``\s``)
_ERROR = re.compile(rb't="e"')
_LETTERS = re.compile(rb"[A-Z]{1,3}")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")


def _column(letters: bytes) -> int:
    col = 0
    for ch in letters:
        col = col * 26 + ch - 64
    return col - 1


def _position(tag: bytes) -> Pos | None:
    m = _REF.search(tag)
    return None if m is None else (int(m.group(2)) - 1, _column(m.group(1)))


class _Sheet:
    """Searches over one chunk of a sheet's XML; chunks end after a cell's end tag. Each search
    runs only where a plain ``in`` (many times faster again) finds what it looks for."""

    def __init__(self, prefix: bytes, styles: dict[int, CodeFormat]) -> None:
        p = re.escape(prefix)
        self.open = b"<" + prefix + b"c"
        self.close = b"</" + prefix + b"c>"
        self.formula = b"<" + prefix + b"f"
        empty_v = rb"(<" + p + rb"v\s*/>|<" + p + rb"v>\s*</" + p + rb"v>)?\s*</" + p + rb"c>"
        # the end of a formula (``</f>``, or a shared formula's ``<f …/>``), no value, the cell's end
        self.after_formula = re.compile(rb"</" + p + rb"f>\s*" + empty_v)
        self.shared_formula = re.compile(rb"<" + p + rb"f\b[^>]*/>\s*" + empty_v)
        self.styles = styles
        self.style = re.compile(rb's="(' + b"|".join(b"%d" % i for i in styles) + rb')"')
        self.cell_r = b"<" + prefix + b'c r="'
        self.columns: dict[bytes, int] = {}

    def _tag(self, chunk: bytes, at: int) -> tuple[Pos, int] | None:
        """The position of the cell whose start tag holds the attribute found at ``at``, and
        where the tag ends."""
        start = chunk.rfind(b"<", 0, at)
        end = chunk.find(b">", at)
        if start < 0 or end < 0 or not chunk.startswith(self.open, start) or not chunk[at - 1 : at].isspace():
            return None
        pos = _position(chunk[start:end])
        return None if pos is None else (pos, end)

    def _styled(self, chunk: bytes, marks: CellMarks) -> None:
        """Cells of a code style."""
        for style, show in self.styles.items():
            found = self._style_cells(chunk, style)
            if found is None:  # another attribute order, a row's style: cell by cell
                for m in self.style.finditer(chunk):
                    cell = self._tag(chunk, m.start())
                    if cell is not None:
                        marks.formats[cell[0]] = self.styles[int(m.group(1))]
                return
            marks.formats.update(dict.fromkeys(found, show))

    def _style_cells(self, chunk: bytes, style: int) -> list[Pos] | None:
        """The cells of ``style`` written as every writer known writes them, ``<c r="A2" s="5"``:
        the text is cut at ``" s="5"`` (C speed) and each piece ends with a cell's reference.
        None when some ``s="5"`` is written otherwise."""
        attr = b' s="%d"' % style
        n = chunk.count(attr)
        if n == 0:
            return []
        pieces = chunk.split(b'"' + attr)
        if len(pieces) - 1 != n:
            return None
        found = []
        columns = self.columns
        for piece in pieces[:-1]:
            opening = piece[piece.rfind(b"<") :]  # <c r="A2
            if not opening.startswith(self.cell_r):
                return None
            ref = opening[len(self.cell_r) :]
            letters = ref.rstrip(b"0123456789")
            row = ref[len(letters) :]
            col = columns.get(letters)
            if col is None:
                if not _LETTERS.fullmatch(letters):
                    return None
                col = columns[letters] = _column(letters)
            if not row.isdigit():
                return None
            found.append((int(row) - 1, col))
        return found

    def scan(self, chunk: bytes, marks: CellMarks) -> None:
        if self.styles:
            self._styled(chunk, marks)
        if b't="e"' in chunk:
            for m in _ERROR.finditer(chunk):
                cell = self._tag(chunk, m.start())
                if cell is None:
                    continue
                end = chunk.find(self.close, cell[1])
                v = _VALUE.search(chunk, cell[1], end if end >= 0 else len(chunk))
                if v is not None and v.group(1).strip():
                    marks.errors[cell[0]] = v.group(1).decode("utf-8", "replace").strip()
        if self.formula not in chunk:
            return
        for pattern in (self.after_formula, self.shared_formula):
            for m in pattern.finditer(chunk):
                start = chunk.rfind(self.open, 0, m.start())
                tag = chunk[start : chunk.find(b">", start)]
                t = _T.search(tag)
                # an empty value of a text formula is its result: the empty text
                if m.group(1) is not None and t is not None and t.group(1) == b"str":
                    continue
                pos = _position(tag)
                if pos is not None:
                    marks.uncomputed.append(pos)


def _chunks(stream: IO[bytes], close: bytes, rest: bytes, size: int) -> Iterator[bytes]:
    """``rest`` and the stream after it in pieces of about ``size`` bytes, each ending after a
    ``close`` tag."""
    while True:
        block = stream.read(size)
        data = rest + block if rest else block
        if not block:
            if data:
                yield data
            return
        cut = data.rfind(close)
        if cut < 0:
            rest = data
            continue
        cut += len(close)
        yield data[:cut]
        rest = data[cut:]


_ROOT = re.compile(rb"<(\w+:)?worksheet\b")


def xlsx_marks(data: bytes, sheet: str, *, chunk: int = _CHUNK) -> CellMarks:
    """The marks of the sheet named ``sheet`` in the .xlsx/.xlsm workbook ``data``; none when
    the workbook is of another kind or its parts cannot be found. The sheet's XML is searched
    in pieces of about ``chunk`` bytes."""
    marks = CellMarks()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            part, styles = _sheet_parts(z, sheet)
            if part is None or not part.endswith(".xml") or part not in z.NameToInfo:
                return marks
            code_styles = _code_styles(z, styles)
            with z.open(part) as f:
                head = f.read(4096)
                root = _ROOT.search(head)
                prefix = (root.group(1) or b"") if root is not None else b""
                scanner = _Sheet(prefix, code_styles)
                for piece in _chunks(f, scanner.close, head, chunk):
                    scanner.scan(piece, marks)
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, ValueError, EOFError):
        return CellMarks()  # calamine read the workbook; what it gives stands
    return marks


# -- legacy .xls (BIFF8) -----------------------------------------------------------------------

#: searched in the workbook stream: a BOOLERR record holding an error (fError = 1), a FORMULA
#: record whose result is an error (result byte 0 = 2, bytes 6-7 = FFFF), a FORMAT record (index,
#: character count, flags). A match inside another record's bytes only costs the exact pass.
_XLS_ERRORS = (
    re.compile(rb"\x05\x02\x08\x00[\s\S]{7}\x01"),
    re.compile(rb"\x06\x00[\s\S]{8}\x02[\s\S]{5}\xff\xff"),
)  # two searches starting with literal bytes: many times faster than one with "|"
_XLS_FORMAT = re.compile(rb"\x1e\x04[\s\S]{4}([\s\S]{2})([\x00\x01])")


def _xls_may_have_marks(data: bytes) -> bool:
    """Whether the .xls workbook may hold error cells or code formats: a few C-speed searches
    over its workbook stream, so that xlrd reads the sheet (≈ 6× calamine's time) only then."""
    compdoc = importlib.import_module("xlrd.compdoc")
    doc = compdoc.CompDoc(data, logfile=io.StringIO())
    mem, base, size = doc.locate_named_stream("Workbook")
    if mem is None:
        return True  # a BIFF5 workbook ("Book"): let xlrd see
    stream = mem[base : base + size]
    if any(p.search(stream) for p in _XLS_ERRORS):
        return True
    for m in _XLS_FORMAT.finditer(stream):
        n, wide = int.from_bytes(m.group(1), "little"), m.group(2) == b"\x01"
        raw = stream[m.end() : m.end() + n * (2 if wide else 1)]
        if code_format(raw.decode("utf-16-le" if wide else "latin-1", "replace")) is not None:
            return True
    return False


def xls_marks(data: bytes, sheet: str) -> CellMarks:
    """The marks of the sheet named ``sheet`` in the legacy .xls workbook ``data``, from xlrd:
    code formats and error cells (an .xls formula always keeps its last value)."""
    marks = CellMarks()
    xlrd = importlib.import_module("xlrd")
    try:
        if not _xls_may_have_marks(data):
            return marks
        book = xlrd.open_workbook(
            file_contents=data, formatting_info=True, on_demand=True, logfile=io.StringIO()
        )
        formats: dict[int, CodeFormat] = {}
        for i, xf in enumerate(book.xf_list):
            fmt = book.format_map.get(xf.format_key)
            show = code_format(fmt.format_str) if fmt is not None else None
            if show is not None:
                formats[i] = show
        ws = book.sheet_by_name(sheet)
        for r in range(ws.nrows):
            for c, kind in enumerate(ws.row_types(r)):
                if kind == xlrd.XL_CELL_ERROR:
                    code = ws.cell_value(r, c)
                    marks.errors[r, c] = xlrd.error_text_from_code.get(code, f"#ERROR {code}")
                elif kind == xlrd.XL_CELL_NUMBER and formats:
                    show = formats.get(ws.cell_xf_index(r, c))
                    if show is not None:
                        marks.formats[r, c] = show
    except Exception:  # xlrd's errors are no public hierarchy; calamine read the workbook
        return CellMarks()
    return marks
