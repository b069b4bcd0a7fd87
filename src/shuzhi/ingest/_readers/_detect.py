"""What a file really is: by its first bytes, then by its name.

Departments rename files freely: a workbook saved as ``名单.csv``, a web system's "Excel export"
that is an HTML page, a scan attached as ``.csv``. The first bytes decide where they can:
ZIP with ``xl/`` inside (xlsx), OLE2 ``D0 CF 11 E0`` (xls), ``PAR1`` (Parquet), and the
signatures of images, PDFs and archives (refused). Text files go by their extension, and by
their first character when the extension says nothing (``[``/``{`` is JSON).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from shuzhi.errors import DataError, NotFound

__all__ = ["detect_format", "sniff"]

FORMATS = ("csv", "excel", "json", "jsonl", "parquet", "sql")
UNREADABLE = "不是可读取的表格文件 / not a readable table file"

#: extensions of any text, not of CSV in particular: their content decides (JSON in a .txt file)
_GENERIC_TEXT = frozenset({".txt", ".dat", ".prn"})

_EXT = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".dat": "csv",
    ".prn": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xlsb": "excel",
    ".xls": "excel",
    ".et": "excel",
    ".ods": "excel",
    ".json": "json",
    ".geojson": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}

#: (signature, what it is in Chinese, in English); short signatures that text could start with
#: (BMP "BM", executables "MZ") are left to the binary check
_NOT_TABLES: list[tuple[bytes, str, str]] = [
    (b"\x89PNG", "PNG 图片", "a PNG image"),
    (b"\xff\xd8\xff", "JPEG 图片", "a JPEG image"),
    (b"GIF8", "GIF 图片", "a GIF image"),
    (b"II*\x00", "TIFF 图片", "a TIFF image"),
    (b"MM\x00*", "TIFF 图片", "a TIFF image"),
    (b"%PDF", "PDF 文档", "a PDF document"),
    (b"\x1f\x8b", "gzip 压缩包", "a gzip archive"),
    (b"7z\xbc\xaf'\x1c", "7z 压缩包", "a 7z archive"),
    (b"Rar!", "RAR 压缩包", "a RAR archive"),
    (b"\xfd7zXZ", "xz 压缩包", "an xz archive"),
    (b"\x7fELF", "程序文件", "a program"),
    (b"SQLite format 3\x00", "SQLite 数据库", "a SQLite database"),
    (b"{\\rtf", "RTF 文档", "an RTF document"),
]

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _unreadable(file: str, what_zh: str | None = None, what_en: str | None = None) -> DataError:
    if what_zh:
        return DataError(
            f"{UNREADABLE}（看起来是{' ' if what_zh.strip()[:1].isascii() else ''}{what_zh.strip()} / "
            f"looks like {what_en}）",
            file=file,
        )
    return DataError(UNREADABLE, file=file)


def _zip_kind(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            mimetype = z.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, KeyError):
        return "broken"  # a truncated upload, a download cut short
    if any(n.startswith("xl/") for n in names) or "opendocument.spreadsheet" in mimetype:
        return "excel"
    if any(n.startswith("word/") for n in names):
        return "word"
    return "zip"


def _nul_in_text(head: bytes, file: str) -> DataError | None:
    """Text with NUL bytes in it, said where (a damaged export, or UTF-16 without its BOM); None
    when the head does not otherwise read as text."""
    at = head.find(b"\x00")
    rest = head.replace(b"\x00", b"")
    if at < 0 or not rest or _looks_binary(rest):
        return None
    line = head.count(b"\n", 0, at) + 1
    utf16 = head.count(b"\x00") * 3 >= len(head)  # every other byte: UTF-16 text
    why_zh = (
        "像是没有 BOM 的 UTF-16 文本，请另存为 UTF-8"
        if utf16
        else "文件可能已损坏，或是程序导出时写入了空字节"
    )
    why_en = "it looks like UTF-16 text without a BOM: save it as UTF-8" if utf16 else "a damaged file?"
    return DataError(
        f"不是可读取的表格文件：这一行有空字节（NUL，文件的第 {at + 1} 个字节），{why_zh} / not a readable "
        f"table file: a NUL byte in this line (byte {at + 1} of the file): {why_en}",
        file=file,
        row=line,
    )


def _looks_binary(head: bytes) -> bool:
    if head.startswith(_TEXT_BOMS):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 26, 27))
    return controls > max(2, len(head) // 20)


def sniff(
    path: Path, file: str, declared: str | None = None, *, encoding: str | None = None
) -> tuple[str, tuple[str, str] | None]:
    """(format, a note (zh, en) when the content overrides the name or the declared format).
    A declared ``encoding`` of two or four bytes per character (UTF-16 or UTF-32 without a BOM)
    makes NUL bytes text, not the mark of a binary file."""
    if not path.exists():
        raise NotFound("文件 / file", file)
    if path.is_dir():
        raise DataError("这是文件夹，不是文件 / this is a folder, not a file", file=file)
    with open(path, "rb") as f:
        head = f.read(4096)
    ext = path.suffix.lower()
    by_name = declared or _EXT.get(ext)
    named = f"扩展名 {ext}" if not declared else f" format: {declared}"  # 文件 format: csv
    named_en = f"named {ext}" if not declared else f"declared format {declared}"

    def moved(actual: str, zh: str, en: str) -> tuple[str, tuple[str, str] | None]:
        if by_name == actual:
            return actual, None
        return actual, (
            f"文件{named}，实际是{zh}，按 {actual} 读取",
            f"the file is {named_en} but is {en}; read as {actual}",
        )

    if head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(path)
        if kind == "excel":
            return moved("excel", " Excel 工作簿（xlsx）", "an Excel workbook (xlsx)")
        if kind == "word":
            raise _unreadable(file, " Word 文档", "a Word document")
        if kind == "broken":
            if by_name == "excel":
                raise _unreadable(
                    file,
                    "损坏或不完整的 Excel 工作簿（可能没有传完或下载完），请重新导出后再上传",
                    "a damaged or incomplete Excel workbook (cut short in upload or download?): "
                    "export it again",
                )
            raise _unreadable(file, "损坏或不完整的 ZIP 压缩包", "a damaged or incomplete zip archive")
        raise _unreadable(file, " ZIP 压缩包", "a zip archive")
    if head.startswith(_OLE2):
        return moved("excel", "旧版 Excel 工作簿（xls）", "a legacy Excel workbook (xls)")
    if head.startswith(b"PAR1"):
        return moved("parquet", " Parquet 文件", "a Parquet file")
    for signature, zh, en in _NOT_TABLES:
        if head.startswith(signature):
            raise _unreadable(file, zh, en)
    if not head:
        return by_name or "csv", None
    wide = (encoding or "").lower().replace("_", "-").startswith(("utf-16", "utf-32", "utf16", "utf32"))
    if wide and by_name not in ("excel", "parquet"):
        return by_name or "csv", None
    if _looks_binary(head):
        raise _nul_in_text(head, file) or _unreadable(file)
    # text
    if by_name == "parquet":
        raise _unreadable(file, "文本文件而不是 Parquet", "a text file, not Parquet")
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if by_name == "excel":
        if first == b"<":
            raise DataError(
                f"{UNREADABLE}（这是网页 HTML/XML 格式的“Excel”导出，请在 Excel 中另存为 .xlsx 后再上传 / "
                "an HTML/XML page saved with an Excel name: save it as .xlsx in Excel and upload that）",
                file=file,
            )
        return "csv", (
            f"文件{named}，实际是文本文件，按 CSV 读取",
            f"the file is {named_en} but is text; read as csv",
        )
    json_like = first in (b"[", b"{")
    if by_name is not None and not (json_like and not declared and ext in _GENERIC_TEXT):
        return by_name, None
    if json_like:  # JSON; also in a .txt or .dat file (a CSV does not start so)
        kind = "json"
        if first == b"{":
            lines = [ln.strip() for ln in head.splitlines() if ln.strip()]
            if len(lines) > 1 and lines[0].endswith(b"}") and lines[1].startswith(b"{"):
                kind = "jsonl"
        if by_name is None:
            return kind, None
        return kind, (  # a .txt read as JSON, not as the CSV its name suggests: said
            f"文件扩展名 {ext}，内容是 JSON，按 {kind} 读取",
            f"the file is named {ext} but holds JSON; read as {kind}",
        )
    return "csv", None


def detect_format(path: str | os.PathLike[str]) -> str:
    """``csv``, ``excel``, ``json``, ``jsonl`` or ``parquet``: by the file's first bytes (a ``.csv``
    that is really an xlsx or xls is Excel), then by its extension, then by its first character.

    A missing file is :class:`~shuzhi.errors.NotFound`; an image, a PDF, an archive or another
    binary file is a :class:`~shuzhi.errors.DataError` ("不是可读取的表格文件 / not a readable
    table file").
    """
    file = os.fspath(path)
    return sniff(Path(file).expanduser(), file)[0]
