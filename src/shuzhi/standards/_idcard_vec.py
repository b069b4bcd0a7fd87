"""The vectorised kernel of the identity-number check: a whole Arrow column at once (numpy).

:func:`check_arrow` answers, for every value of a string column, what :func:`check_idcard`
answers — ``valid``, ``normalized``, ``reason``, ``region_code``, ``birth_date``, ``sex_code`` —
without a Python call per value for the values that matter in bulk:

* every value is read as 18 bytes from where it starts in the column's data buffer (one fancy
  index over a sliding-window view of the buffer) into an ``(N, 18)`` byte matrix; a value of
  18 bytes whose first 17 bytes are ASCII digits and whose last is a digit, ``X`` or ``x``, or of
  15 ASCII digits, is *sound* (SWAR tests on two 8-byte words per row say which);
* for the sound values one small matrix product (float32, exact: every sum stays below 2^24)
  gives the weighted digit sum, the region code, the date index, month and day; the region's
  status comes from a table of all 10^6 six-digit codes, the date (days since 1970, or "no
  date") from a table indexed by ``year * 384 + (month - 1) * 32 + day``, the reason from a
  24-entry table in check_idcard's order; the matrix itself becomes the normalized column;
* a value that is not sound gets its early reason (empty, bad characters, bad length) from
  counts over its own bytes when it is plain ASCII; one with white space, control characters or
  full-width ASCII is squashed (:func:`divisions.squash`) over its bytes and checked again;
  what is left — other non-ASCII text, texts longer than the precheck's limit, a sound value
  too near the end of its buffer to read 18 bytes — goes through :func:`check_idcard` itself.

The result equals check_idcard's on every input (tests/standards/test_idcard_vec.py); the
throughput is in docs/benchmarks.md.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from shuzhi.standards import divisions
from shuzhi.standards._verdict import MAX_INPUT_LENGTH

U8 = npt.NDArray[np.uint8]
#: the reason codes in the order of their index in the kernel (0 = valid)
REASONS: tuple[str | None, ...] = (
    None,
    "empty",
    "too_long",
    "not_text",
    "idcard.bad_chars",
    "idcard.bad_check_char",
    "idcard.bad_length",
    "idcard.unknown_province",
    "idcard.unknown_region",
    "idcard.bad_date",
    "idcard.date_too_early",
    "idcard.date_future",
    "idcard.check_mismatch",
)
_CODE = {r: i for i, r in enumerate(REASONS)}
(
    _VALID,
    _EMPTY,
    _TOO_LONG,
    _NOT_TEXT,
    _BAD_CHARS,
    _BAD_CHECK_CHAR,
    _BAD_LENGTH,
    _UNKNOWN_PROVINCE,
    _UNKNOWN_REGION,
    _BAD_DATE,
    _TOO_EARLY,
    _FUTURE,
    _MISMATCH,
) = range(len(REASONS))
#: the result columns, as bulk_sql names them after ``<column>__``
COLUMNS = ("valid", "normalized", "reason", "region_code", "birth_date", "sex_code")
SCHEMA = pa.schema(
    [
        ("valid", pa.bool_()),
        ("normalized", pa.string()),
        ("reason", pa.string()),
        ("region_code", pa.string()),
        ("birth_date", pa.date32()),
        ("sex_code", pa.string()),
    ]
)

_NO_DATE = np.iinfo(np.int32).min
_EPOCH = date(1970, 1, 1).toordinal()
_CHECK_BYTES = np.frombuffer(b"0123456789X", np.uint8)
#: weighted digit sum (0-2000) -> expected check character (ASCII)
_EXPECTED = _CHECK_BYTES[(12 - np.arange(2001) % 11) % 11]
#: byte -> itself, x -> X
_UPPER_X = np.arange(256, dtype=np.uint8)
_UPPER_X[ord("x")] = ord("X")
#: two bytes (little-endian uint16) -> whether they end an 18-character number: a digit, then a
#: digit, X or x
_TAIL18 = np.zeros(65536, bool)
for _a in b"0123456789":
    for _b in b"0123456789Xx":
        _TAIL18[_a | _b << 8] = True


def _code_of_key() -> U8:
    """The reason of a sound row from ``status * 8 + date class * 2 + mismatch``: region status
    0 province not in use / 1 no such code / 2 known; date class 0 fine / 1 future / 2 before
    1880 / 3 no date; mismatch 0/1 — in check_idcard's order."""
    table = np.empty(24, np.uint8)
    for key in range(24):
        status, dclass, mismatch = key // 8, key // 2 % 4, key % 2
        table[key] = (
            _UNKNOWN_PROVINCE
            if status == 0
            else _UNKNOWN_REGION
            if status == 1
            else (_VALID, _FUTURE, _TOO_EARLY, _BAD_DATE)[dclass]
            if dclass or not mismatch
            else _MISMATCH
        )
    return table


_SOUND_RE = re.compile(r"[0-9]{17}[0-9Xx]|[0-9]{15}", re.ASCII)
#: rows per matrix product: small enough that OpenBLAS keeps to the calling thread (two batches
#: run side by side in threads) and the float copy stays in cache
_MATMUL_ROWS = 4096
#: rows checked in one step at most
_SLICE_ROWS = 1 << 20
_ASCII_ZERO = 48

_CODE_OF_KEY = _code_of_key()
_REASON_DICT = pa.array(list(REASONS), pa.string())

_tables_lock = threading.Lock()
_tables: dict[tuple[str, int], Any] = {}


def _weights() -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """(W18, W15, inserted15) of the matrix product: the columns are the weighted digit sum, the
    region code, ``year * 384 + month * 32 + day`` (the date table's index + 32), month and
    day, over the digits of an 18-character row (its first 17) or of a 15-digit row, where
    ``inserted15`` adds the ``19`` inserted into the body."""
    from shuzhi.standards.idcard import WEIGHTS

    def body_weights(pos: int) -> list[int]:
        # the five outputs' weight of body digit pos (0-16)
        y = 10 ** (9 - pos) if 6 <= pos < 10 else 0
        mo = 10 ** (11 - pos) if 10 <= pos < 12 else 0
        d = 10 ** (13 - pos) if 12 <= pos < 14 else 0
        return [WEIGHTS[pos], 10 ** (5 - pos) if pos < 6 else 0, y * 384 + mo * 32 + d, mo, d]

    w18 = np.array([body_weights(p) for p in range(17)], np.float32)
    w15 = np.array([body_weights(p if p < 6 else p + 2) for p in range(15)], np.float32)
    # the inserted "19" (body digits 6 and 7)
    return w18, w15, np.array(body_weights(6), np.float32) * 1 + np.array(body_weights(7), np.float32) * 9


def _region_table() -> U8:
    """Status of every code 0–999,999: 0 province not in use, 1 no such code, 2 a known code
    (current or retired) — the same sets as check_idcard's PROVINCES and resolve_region. The
    codes are read from the division table's Arrow form (cached per process and on disk)."""
    from shuzhi.standards._sql import TABLES, _arrow_table
    from shuzhi.standards.idcard import EXTRA_REGIONS, PROVINCES

    codes = np.arange(1_000_000)
    prov = np.zeros(100, bool)
    prov[[int(p) for p in PROVINCES]] = True
    table = prov[codes // 10000].astype(np.uint8)
    column = _arrow_table(TABLES["sz_divisions"]).column("code")
    six = pc.filter(column, pc.fill_null(pc.match_substring_regex(column, "^[1-9][0-9]{5}$"), False))
    known = np.concatenate(
        [pc.cast(six, pa.int64()).to_numpy(), np.array([int(c) for c in EXTRA_REGIONS], np.int64)]
    )
    known = known[prov[known // 10000]]
    table[known] = 2
    return table


def _date_table() -> npt.NDArray[np.int32]:
    """Days since 1970-01-01 of ``y * 384 + (m - 1) * 32 + d`` (y 0–9999, m 1–12, d 0–31), or
    _NO_DATE where that is no date (year 0, day 0, 31 April, 29 February of a common year). The
    day before each month's first is computed per (year, month), 120,000 of them; the days are
    added in one broadcast (int32: the table is built once per process, on the first check)."""
    y = np.arange(10000, dtype=np.int64)[:, None]
    m = np.arange(1, 13, dtype=np.int64)[None, :]
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    dim = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], np.int64)[m] + ((m == 2) & leap)
    # days from civil (H. Hinnant), proleptic Gregorian as datetime.date, of day 0 of (y, m)
    yy = y - (m <= 2)
    era = yy // 400
    yoe = yy - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 - 1
    day0 = (era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468).astype(np.int32)
    d = np.arange(32, dtype=np.int32)[None, None, :]
    ok = (d >= 1) & (d <= dim[:, :, None].astype(np.int32)) & (y[:, :, None] >= 1)
    table = np.where(ok, day0[:, :, None] + d, np.int32(_NO_DATE))
    return table.reshape(10000 * 384)


def _table(name: str) -> Any:
    """A table of the kernel, built once per process (the region table again when the division
    data change: :func:`divisions.generation`)."""
    key = (name, divisions.generation() if name == "region" else 0)
    t = _tables.get(key)
    if t is None:
        with _tables_lock:
            t = _tables.get(key)
            if t is None:
                t = {"region": _region_table, "date": _date_table, "weights": _weights}[name]()
                if name == "region":  # an older generation's table is not needed any more
                    for old in [k for k in _tables if k[0] == "region"]:
                        del _tables[old]
                _tables[key] = t
    return t


def _swar_nondigit(w: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Per 8-byte word: non-zero when any of its bytes is not an ASCII digit (bit 7 of that byte)."""
    y = w ^ np.uint64(0x3030303030303030)
    return (y | (y + np.uint64(0x7676767676767676))) & np.uint64(0x8080808080808080)


class _Out:
    """The fixed-width result of N rows, turned into Arrow arrays at the end. ``nm`` is the
    ``(N, 18)`` byte matrix the rows were read into; it becomes the normalized form (valid
    rows) and its first 6 bytes the region code (``has_rc`` rows)."""

    def __init__(self, nm: U8) -> None:
        n = len(nm)
        self.nm = nm
        self.code = np.full(n, _EMPTY, np.uint8)
        self.has_rc = np.zeros(n, bool)
        self.days = np.zeros(n, np.int32)
        self.has_date = np.zeros(n, bool)
        self.sex = np.zeros(n, np.uint8)  # the sex code: 0 none, ord("1"), ord("2")

    def put_verdict(self, i: int, v: Any) -> None:
        """Row i from a check_idcard verdict."""
        self.code[i] = _CODE[v.reason]
        parts = v.parts or {}
        if v.valid:
            self.nm[i] = np.frombuffer(v.normalized.encode("ascii"), np.uint8)
        rc = parts.get("region_code")
        if rc is not None:
            self.nm[i, :6] = np.frombuffer(rc.encode("ascii"), np.uint8)
        self.has_rc[i] = rc is not None
        birth = parts.get("birth_date")
        if birth is not None:
            self.days[i] = date.fromisoformat(birth).toordinal() - _EPOCH
        self.has_date[i] = birth is not None
        sex = parts.get("sex_code")
        self.sex[i] = ord(sex) if sex is not None else 0

    def put_rows(self, rows: npt.NDArray[np.intp], other: _Out) -> None:
        """``other``'s rows 0… as this one's ``rows``."""
        self.code[rows] = other.code
        self.nm[rows] = other.nm
        self.has_rc[rows] = other.has_rc
        self.days[rows] = other.days
        self.has_date[rows] = other.has_date
        self.sex[rows] = other.sex

    def arrow(self) -> pa.RecordBatch:
        n = len(self.code)
        valid = self.code == _VALID
        # a null slot may span bytes (Arrow allows it): the normalized column is the matrix
        # itself, no copy; the region code column copies 6 bytes a row
        return pa.RecordBatch.from_arrays(
            [
                pa.array(valid),
                _fixed_strings(self.nm, valid, 18),
                _REASON_DICT.take(pa.array(self.code)),
                _fixed_strings(np.ascontiguousarray(self.nm[:, :6]), self.has_rc, 6),
                pa.Array.from_buffers(pa.date32(), n, [_bitmap(self.has_date), pa.py_buffer(self.days)]),
                _fixed_strings(self.sex, self.sex != 0, 1),
            ],
            schema=SCHEMA,
        )


def _bitmap(mask: npt.NDArray[np.bool_]) -> pa.Buffer:
    return pa.py_buffer(np.packbits(mask, bitorder="little"))


def _fixed_strings(mat: U8, mask: npt.NDArray[np.bool_], width: int) -> pa.Array:
    """A string array over the rows of the contiguous ``(N, width)`` matrix ``mat``, null where
    not ``mask`` (a null slot keeps its bytes)."""
    n = len(mask)
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32 if n * width < 2**31 else np.int64)
    typ = pa.string() if offsets.dtype == np.int32 else pa.large_string()
    return pa.Array.from_buffers(typ, n, [_bitmap(mask), pa.py_buffer(offsets), pa.py_buffer(mat)])


def _sound(mat: U8, is15: npt.NDArray[np.bool_], sound: npt.NDArray[np.bool_], out: _Out) -> None:
    """The verdict of the rows of ``mat`` (18 bytes each; a 15-digit number's digits in the
    first 15) where ``sound``, written to ``out`` at the same rows. ``mat`` becomes the
    normalized form (its last byte the expected check character, 19 inserted into a 15-digit
    number). The other rows are computed too (garbage, cheaper than selecting) but not kept."""
    from shuzhi.standards.idcard import EARLIEST_BIRTH

    n = len(mat)
    if not sound.any():
        return
    w18, w15, inserted15 = _table("weights")
    sums = np.empty((n, 5), np.float32)
    for a in range(0, n, _MATMUL_ROWS):
        # digits, not ASCII codes: the sums must stay below 2^24 to be exact in float32
        f = mat[a : a + _MATMUL_ROWS, :17].astype(np.float32)
        f -= _ASCII_ZERO
        np.matmul(f, w18, out=sums[a : a + _MATMUL_ROWS])
    k15 = np.flatnonzero(is15 & sound)
    if len(k15):
        b15 = mat[k15]
        sums[k15] = (b15[:, :15].astype(np.float32) - _ASCII_ZERO) @ w15 + inserted15
        nm15 = b15.copy()
        nm15[:, 6] = ord("1")
        nm15[:, 7] = ord("9")
        nm15[:, 8:17] = b15[:, 6:15]
        mat[k15] = nm15
    s = sums.astype(np.int32)
    chk, rc, ymd, mo, d = s[:, 0], s[:, 1], s[:, 2], s[:, 3], s[:, 4]
    # the check character: expected (from the sum) against the one written, x read as X
    expected = np.take(_EXPECTED, chk, mode="clip")
    mismatch = (np.take(_UPPER_X, mat[:, 17]) != expected) & ~is15
    mat[:, 17] = expected
    # region, date, reason in check_idcard's order (a lookup on status, date class, mismatch)
    status = np.take(_table("region"), rc, mode="clip")
    md_ok = ((mo - 1).view(np.uint32) < 12) & (d.view(np.uint32) < 32)
    days = np.take(_table("date"), np.where(md_ok, ymd - 32, 0), mode="clip")
    no_date = days == _NO_DATE
    dclass = (days > date.today().toordinal() - _EPOCH).view(np.uint8) + no_date
    dclass += (days < EARLIEST_BIRTH.toordinal() - _EPOCH).view(np.uint8) * np.uint8(2)
    key = status * np.uint8(8) + dclass * np.uint8(2) + mismatch
    np.copyto(out.code, _CODE_OF_KEY[key], where=sound)
    out.has_rc |= sound
    is_date = sound & ~no_date
    np.copyto(out.days, days, where=is_date)
    out.has_date |= is_date
    np.copyto(out.sex, np.uint8(ord("2")) - (mat[:, 16] & np.uint8(1)), where=sound)


def _strings(values: pa.Array) -> pa.Array:
    """``values`` as a string or large_string array; integers as their decimal text (as
    check_idcard reads an int). Other types are left as they are (the caller checks them in
    Python)."""
    t = values.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return values
    if str(t) == "string_view":  # (pa.types.is_string_view needs pyarrow 16)
        return values.cast(pa.large_string())
    if pa.types.is_integer(t):
        return pc.cast(values, pa.string())
    return values


def _check_array(values: pa.Array) -> pa.RecordBatch:
    """The verdict columns of one Arrow array (not chunked)."""
    return _kernel(values).arrow()


def _kernel(values: pa.Array) -> _Out:
    """The verdict of every value of one Arrow array, fixed-width."""
    from shuzhi.standards.idcard import check_idcard

    values = _strings(values)
    n = len(values)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        out = _Out(np.zeros((n, 18), np.uint8))
        for i, v in enumerate(values.to_pylist()):
            out.put_verdict(i, check_idcard(v))
        return out
    if n == 0:
        return _Out(np.zeros((0, 18), np.uint8))
    odt = np.int64 if pa.types.is_large_string(values.type) else np.int32
    bufs = values.buffers()
    off = np.frombuffer(bufs[1], odt)[values.offset : values.offset + n + 1].astype(np.int64)
    data: U8 = np.frombuffer(bufs[2], np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    starts, lens = off[:-1], np.diff(off)
    notnull = ~values.is_null().to_numpy(zero_copy_only=False) if values.null_count else None
    big = len(data)
    # ---- sound rows: 18 bytes from where each value starts (a row whose 18 bytes would run
    # past the buffer is left to _rest)
    is15 = lens == 15
    if big < 18:
        sound = np.zeros(n, bool)
        mat = np.zeros((n, 18), np.uint8)
    else:
        cand = (lens == 18) | is15
        if values.null_count:
            cand &= notnull
        s = np.minimum(starts, big - 18)  # rows past the end read other bytes, and are no candidates
        cand &= s == starts
        # every row's 18 bytes at once: a window view of the buffer, one row per byte offset
        window = np.lib.stride_tricks.as_strided(data, shape=(big - 17, 18), strides=(1, 1), writeable=False)
        mat = window[s]
        w0 = np.ndarray((n,), "<u8", buffer=mat, strides=(18,))
        w1 = np.ndarray((n,), "<u8", buffer=mat, offset=8, strides=(18,))
        w2 = np.ndarray((n,), "<u2", buffer=mat, offset=16, strides=(18,))
        nd1 = _swar_nondigit(w1)
        ok18 = _TAIL18[w2] & (nd1 == 0)
        ok18 &= lens == 18
        nd1 &= np.uint64(0x00FFFFFFFFFFFFFF)  # a 15-digit row: its bytes 8-14
        ok15 = nd1 == 0
        ok15 &= is15
        ok18 |= ok15
        ok18 &= _swar_nondigit(w0) == 0
        sound = ok18 & cand
    out = _Out(mat)
    _sound(mat, is15, sound, out)
    # ---- the other values
    rest = np.flatnonzero(~sound if notnull is None else notnull & ~sound)
    if len(rest):
        _rest(values, rest, lens[rest], out)
    return out


def _rest(values: pa.Array, rest: npt.NDArray[np.intp], lens: npt.NDArray[np.int64], out: _Out) -> None:
    """Values that are not sound 18/15-byte numbers: plain ASCII ones get their early reason
    here; those with white space, controls or full-width characters are squashed over their
    bytes and checked again; the others go to Python."""
    sub = values.take(pa.array(rest))
    sbufs = sub.buffers()
    odt = np.int64 if pa.types.is_large_string(sub.type) else np.int32
    soff = np.frombuffer(sbufs[1], odt)[sub.offset : sub.offset + len(sub) + 1].astype(np.int64)
    b: U8 = np.frombuffer(sbufs[2], np.uint8) if sbufs[2] is not None else np.zeros(0, np.uint8)
    b = b[soff[0] : soff[-1]]
    row = np.repeat(np.arange(len(rest)), lens)
    nrest = len(rest)
    # squash (divisions.squash) in bytes: ASCII white space and controls deleted, full-width
    # ASCII (U+FF01-U+FF5E, EF BC 81 - EF BD 9E) made ASCII; other non-ASCII text is left to Python
    odd = (b - np.uint8(1) < 0x20) | (b >= 0x7F)  # 0x01-0x20, 0x7F and non-ASCII bytes
    special = np.bincount(row[odd], minlength=nrest) > 0
    nondigit = np.bincount(row[b - np.uint8(_ASCII_ZERO) > 9], minlength=nrest)
    last = b[np.maximum(soff[1:] - soff[0] - 1, 0)] if len(b) else np.zeros(nrest, np.uint8)
    last_x = (last == ord("X")) | (last == ord("x"))
    last_nd = (last - np.uint8(_ASCII_ZERO)) > 9
    # check_idcard's character rule on a text whose every byte is a character
    p_last = (nondigit == 1) & last_nd  # the only non-digit is the last character
    chars_ok = (nondigit == 0) | (p_last & last_x & (lens != 15))
    code = np.where(
        chars_ok,
        np.where((lens == 15) | (lens == 18), 255, _BAD_LENGTH),
        np.where(p_last & (lens == 18), _BAD_CHECK_CHAR, _BAD_CHARS),
    ).astype(np.uint8)
    code[lens == 0] = _EMPTY
    plain = ~special & (code != 255) & (lens <= MAX_INPUT_LENGTH)
    out.code[rest[plain]] = code[plain]
    slow = ~plain & ~special  # sound but too near the end of the buffer, or too long
    if special.any():
        sel = special[row]
        slow |= _squash_rows(b[sel], row[sel], special, rest, out)
    # ---- Python: non-ASCII text other than full-width ASCII, too long, sound but unread
    _python_rows(sub, np.flatnonzero(slow), rest, out)


def _squash_rows(
    b: U8, row: npt.NDArray[np.intp], special: npt.NDArray[np.bool_], rest: npt.NDArray[np.intp], out: _Out
) -> npt.NDArray[np.bool_]:
    """Squash the ``special`` rows, whose bytes are ``b`` (row ids ``row``), and check the
    results (recursively: they are plain ASCII now); returns the rows left to Python."""
    nrest = len(rest)
    n = len(b)
    b1 = np.zeros(n, np.uint8)
    b2 = np.zeros(n, np.uint8)
    b1[:-1], b2[:-2] = b[1:], b[2:]
    cp = 0xF000 | ((b1.astype(np.int32) & 0x3F) << 6) | (b2 & 0x3F)
    fw = (b == 0xEF) & (cp >= 0xFF01) & (cp <= 0xFF5E)
    cont = np.zeros(n, bool)
    cont[1:] |= fw[:-1]
    cont[2:] |= fw[:-2]
    other = (b >= 0x80) & ~fw & ~cont
    chars = np.bincount(row[(b < 0x80) | (b >= 0xC0)], minlength=nrest)  # characters, not bytes
    py = special & ((np.bincount(row[other], minlength=nrest) > 0) | (chars > MAX_INPUT_LENGTH))
    vec = special & ~py
    if vec.any():
        keep = vec[row] & ~((b - np.uint8(1) < 0x20) | (b == 0x7F) | cont)
        data = np.where(fw, cp - 0xFEE0, b).astype(np.uint8)[keep]
        lens = np.bincount(row[keep], minlength=nrest)[vec]
        offsets = np.zeros(len(lens) + 1, np.int64)
        np.cumsum(lens, out=offsets[1:])
        squashed = pa.Array.from_buffers(
            pa.large_string(), len(lens), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
        )
        out.put_rows(rest[vec], _kernel(squashed))
    return py


def _python_rows(sub: pa.Array, slow: npt.NDArray[np.intp], rest: npt.NDArray[np.intp], out: _Out) -> None:
    """Rows ``rest[slow]`` (values ``sub[slow]``) by check_idcard, sound ones through _sound."""
    from shuzhi.standards.idcard import check_idcard

    if len(slow) == 0:
        return
    texts = sub.take(pa.array(slow)).to_pylist()
    squashed: list[str] = []
    where: list[int] = []
    for j, text in zip(slow.tolist(), texts, strict=True):
        i = int(rest[j])
        if len(text) <= MAX_INPUT_LENGTH:
            t = divisions.squash(text)
            if _SOUND_RE.fullmatch(t):
                squashed.append(t)
                where.append(i)
                continue
        out.put_verdict(i, check_idcard(text))
    if squashed:
        k = len(squashed)
        raw = "".join(t if len(t) == 18 else t + "000" for t in squashed).encode("ascii")
        tmp = _Out(np.frombuffer(raw, np.uint8).reshape(k, 18).copy())
        _sound(tmp.nm, np.array([len(t) == 15 for t in squashed]), np.ones(k, bool), tmp)
        out.put_rows(np.array(where, np.intp), tmp)


def check_arrow(values: pa.Array | pa.ChunkedArray | Iterable[Any]) -> pa.Table:
    """The verdict of every value of a column, as check_idcard gives it: a table of ``valid``,
    ``normalized``, ``reason``, ``region_code``, ``birth_date`` (date32), ``sex_code``, one row
    per value in the same order. ``values`` is an Arrow array or chunked array (strings,
    or integers read as their digits) or any iterable of values."""
    if isinstance(values, pa.ChunkedArray):
        chunks = values.chunks
    elif isinstance(values, pa.Array):
        chunks = [values]
    else:
        lst = list(values)
        if not all(v is None or isinstance(v, str) for v in lst):
            return _python_fallback(lst)
        chunks = [pa.array(lst, pa.string())]
    return pa.Table.from_batches([_check_array(c) for c in _slices(chunks)], schema=SCHEMA)


def _slices(arrays: Iterable[Any]) -> Iterable[Any]:
    """Arrays or record batches cut to at most _SLICE_ROWS rows (bounded memory per step, and
    32-bit offsets in the output columns)."""
    for a in arrays:
        if len(a) <= _SLICE_ROWS:
            yield a
        else:
            for start in range(0, len(a), _SLICE_ROWS):
                yield a.slice(start, _SLICE_ROWS)


def _python_fallback(lst: list[Any]) -> pa.Table:
    from shuzhi.standards.idcard import check_idcard

    out = _Out(np.zeros((len(lst), 18), np.uint8))
    for i, v in enumerate(lst):
        out.put_verdict(i, check_idcard(v))
    return pa.Table.from_batches([out.arrow()], schema=SCHEMA)


def check_batches(
    batches: Iterable[pa.RecordBatch], column: str, prefix: str, threads: int = 2
) -> Iterable[pa.RecordBatch]:
    """Each record batch with the verdict columns of ``column`` appended (named ``prefix`` +
    ``valid`` etc.), in order; ``threads`` batches are checked side by side."""

    def one(batch: pa.RecordBatch) -> pa.RecordBatch:
        v = _check_array(batch.column(column))
        arrays = list(batch.columns) + list(v.columns)
        names = list(batch.schema.names) + [prefix + c for c in COLUMNS]
        return pa.RecordBatch.from_arrays(arrays, names=names)

    if threads <= 1:
        yield from map(one, _slices(batches))
        return
    with ThreadPoolExecutor(threads) as pool:
        pending: list[Any] = []
        for batch in _slices(batches):
            pending.append(pool.submit(one, batch))
            if len(pending) > threads:
                yield pending.pop(0).result()
        for f in pending:
            yield f.result()
