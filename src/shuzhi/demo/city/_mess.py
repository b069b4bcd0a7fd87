"""Vectorised helpers that write values the way departments do (dates, phones, identity numbers,
names) and record every deliberate change in the truth (:class:`Changes`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shuzhi.demo.city._data import cat, num, take
from shuzhi.demo.city._people import ID_CHECK, People, Vocabulary

__all__ = [
    "Changes",
    "fmt_date",
    "id_matrix",
    "matrix_text",
    "mess_ids",
    "s2t",
    "written_phone",
]

_POW17 = 10 ** np.arange(16, -1, -1, dtype=np.int64)
_CHECK_BYTES = np.frombuffer(ID_CHECK.encode(), dtype=np.uint8)
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")


@dataclass(slots=True)
class Changes:
    """Values written differently from the truth on purpose: one table per resource, concatenated."""

    parts: list[pa.Table] = field(default_factory=list)

    def add(
        self,
        resource: str,
        rows: np.ndarray,  # 0-based positions in the dataset
        keys: pa.Array,
        column: str,
        field_name: str,
        kind: str,
        true: pa.Array,
        written: pa.Array,
        valid: bool | None,
    ) -> None:
        if len(rows) == 0:
            return
        sel = pa.array(rows)
        self.parts.append(
            pa.table(
                {
                    "resource": pa.array([resource] * len(rows), pa.string()),
                    "row": pa.array(rows + 1, pa.int64()),
                    "key": keys.take(sel),
                    "column": pa.array([column] * len(rows), pa.string()),
                    "field": pa.array([field_name] * len(rows), pa.string()),
                    "kind": pa.array([kind] * len(rows), pa.string()),
                    "true_value": true.take(sel),
                    "written_value": written.take(sel),
                    "still_valid": pa.array([valid] * len(rows), pa.bool_()),
                }
            )
        )

    def table(self) -> pa.Table:
        if not self.parts:
            schema = pa.schema(
                [
                    ("resource", pa.string()),
                    ("row", pa.int64()),
                    ("key", pa.string()),
                    ("column", pa.string()),
                    ("field", pa.string()),
                    ("kind", pa.string()),
                    ("true_value", pa.string()),
                    ("written_value", pa.string()),
                    ("still_valid", pa.bool_()),
                ]
            )
            return schema.empty_table()
        return pa.concat_tables(self.parts)


def fmt_date(d: np.ndarray, style: str) -> pa.Array:
    """Dates (datetime64[D], NaT -> null) written in one style: ``iso`` 2019-04-30, ``iso_short``
    2019-4-30, ``compact`` 20190430, ``slash`` 2019/4/30, ``slash_padded`` 2019/04/30, ``dot``
    2019.4.30, ``chinese`` 2019年4月30日, ``month`` 2019-04, ``yyyymm`` 201904, ``chinese_month``
    2019年4月, ``excel`` 43585 (serial)."""
    nat = np.isnat(d)
    safe = np.where(nat, np.datetime64("2000-01-01", "D"), d)
    y = safe.astype("datetime64[Y]").astype(np.int64) + 1970
    m = safe.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (safe - safe.astype("datetime64[M]")).astype(np.int64) + 1
    ys = num(y)
    if style == "iso":
        out = cat(ys, "-", num(m, 2), "-", num(dd, 2))
    elif style == "iso_short":
        out = cat(ys, "-", num(m), "-", num(dd))
    elif style == "compact":
        out = cat(ys, num(m, 2), num(dd, 2))
    elif style == "slash":
        out = cat(ys, "/", num(m), "/", num(dd))
    elif style == "slash_padded":
        out = cat(ys, "/", num(m, 2), "/", num(dd, 2))
    elif style == "dot":
        out = cat(ys, ".", num(m), ".", num(dd))
    elif style == "chinese":
        out = cat(ys, "年", num(m), "月", num(dd), "日")
    elif style == "month":
        out = cat(ys, "-", num(m, 2))
    elif style == "yyyymm":
        out = cat(ys, num(m, 2))
    elif style == "chinese_month":
        out = cat(ys, "年", num(m), "月")
    elif style == "excel":
        out = num((safe - _EXCEL_EPOCH).astype(np.int64))
    else:
        raise ValueError(style)
    if nat.any():
        out = pc.if_else(pa.array(nat), pa.nulls(len(d), pa.string()), out)
    return out


def mixed_dates(d: np.ndarray, styles: list[str], p: list[float], rng: np.random.Generator) -> pa.Array:
    """Each date in a style drawn from ``styles``."""
    pick = rng.choice(len(styles), size=len(d), p=p)
    out = fmt_date(d, styles[0])
    for i, s in enumerate(styles[1:], start=1):
        out = pc.if_else(pa.array(pick == i), fmt_date(d, s), out)
    return out


def id_matrix(people: People, idx: np.ndarray) -> np.ndarray:
    """The identity numbers of ``idx`` as an (n, 18) array of ASCII bytes."""
    mat = np.empty((len(idx), 18), dtype=np.uint8)
    mat[:, :17] = (people.id_body[idx][:, None] // _POW17) % 10 + 48
    mat[:, 17] = _CHECK_BYTES[people.id_check[idx]]
    return mat


def matrix_text(mat: np.ndarray) -> pa.Array:
    raw = np.ascontiguousarray(mat).view(f"S{mat.shape[1]}").ravel()
    return pc.cast(pa.array(raw), pa.string())


def mess_ids(
    people: People,
    idx: np.ndarray,
    rng: np.random.Generator,
    *,
    typo: float,
    lower_x: float,
    legacy15: np.ndarray | None = None,
    missing: np.ndarray | None = None,
) -> tuple[pa.Array, pa.Array, list[tuple[str, np.ndarray, bool | None]]]:
    """(true IDs, written IDs, [(kind, rows, still valid)]) for the people ``idx``.

    ``typo``: one of the first 17 digits replaced by another (the check character then never
    matches: the number is invalid); ``lower_x``: a final X written x (still valid);
    ``legacy15``: rows written in the 15-digit form (valid); ``missing``: rows left empty.
    """
    n = len(idx)
    mat = id_matrix(people, idx)
    true = matrix_text(mat)
    written_mat = mat.copy()
    kinds: list[tuple[str, np.ndarray, bool | None]] = []
    bad = rng.random(n) < typo
    if missing is not None:
        bad &= ~missing
    if legacy15 is not None:
        bad &= ~legacy15
    rows = np.flatnonzero(bad)
    pos = rng.integers(0, 17, size=len(rows))
    written_mat[rows, pos] = (written_mat[rows, pos] - 48 + rng.integers(1, 10, size=len(rows))) % 10 + 48
    kinds.append(("id_typo", rows, False))
    lx = (written_mat[:, 17] == ord("X")) & (rng.random(n) < lower_x) & ~bad
    if legacy15 is not None:
        lx &= ~legacy15
    if missing is not None:
        lx &= ~missing
    written_mat[lx, 17] = ord("x")
    kinds.append(("lowercase_x", np.flatnonzero(lx), True))
    written = matrix_text(written_mat)
    if legacy15 is not None and legacy15.any():
        m15 = np.concatenate([mat[:, :6], mat[:, 8:17]], axis=1)
        written = pc.if_else(pa.array(legacy15), matrix_text(m15), written)
        kinds.append(("legacy_15", np.flatnonzero(legacy15), True))
    if missing is not None and missing.any():
        written = pc.if_else(pa.array(missing), pa.nulls(n, pa.string()), written)
        kinds.append(("missing", np.flatnonzero(missing), None))
    return true, written, kinds


def written_phone(phone: np.ndarray, style: np.ndarray) -> pa.Array:
    """Mobile numbers (0 -> null) in styles 0 ``13803561234``, 1 ``138 0356 1234``,
    2 ``+86 13803561234``, 3 ``138-0356-1234``."""
    s = num(phone)
    a = pc.utf8_slice_codeunits(s, 0, 3)
    b = pc.utf8_slice_codeunits(s, 3, 7)
    c = pc.utf8_slice_codeunits(s, 7, 11)
    out = pc.if_else(pa.array(style == 1), cat(a, " ", b, " ", c), s)
    out = pc.if_else(pa.array(style == 2), cat("+86 ", s), out)
    out = pc.if_else(pa.array(style == 3), cat(a, "-", b, "-", c), out)
    return pc.if_else(pa.array(phone == 0), pa.nulls(len(phone), pa.string()), out)


def s2t(values: pa.Array, mask: np.ndarray) -> pa.Array:
    """``values`` with the rows of ``mask`` converted to Traditional characters (OpenCC s2t, run
    once over the joined text)."""
    import opencc

    rows = np.flatnonzero(mask)
    if len(rows) == 0:
        return values
    sel = pc.fill_null(values.take(pa.array(rows)), "")
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(sel)], pa.int32()), sel), "\n")[
        0
    ].as_py()
    converted = opencc.OpenCC("s2t").convert(joined)
    parts = pa.array(converted.split("\n"), pa.string())
    idx = np.full(len(values), -1, dtype=np.int64)
    idx[rows] = np.arange(len(rows))
    conv = parts.take(pa.array(np.where(idx < 0, 0, idx)))
    return pc.if_else(pa.array(mask), conv, values)


def homophone_names(
    people: People, vocab: Vocabulary, idx: np.ndarray, mask: np.ndarray, rng: np.random.Generator
) -> pa.Array:
    """Names of ``idx`` with, on the rows of ``mask``, one character replaced by one that sounds
    the same (the last given-name token, else the surname)."""
    s = people.surname[idx].copy()
    g1 = people.g1[idx].copy()
    g2 = people.g2[idx].copy()
    col = rng.integers(3, size=len(idx))
    last_is_g2 = g2 > 0
    tok = np.where(last_is_g2, g2, g1)
    alt = vocab.token_alt[tok, col]
    changed = mask & (alt != tok)
    g2 = np.where(changed & last_is_g2, alt, g2)
    g1 = np.where(changed & ~last_is_g2, alt, g1)
    s_alt = vocab.surname_alt[s, col]
    use_s = mask & ~changed & (s_alt != s)
    s = np.where(use_s, s_alt, s)
    return cat(take(vocab.surnames, s), take(vocab.tokens, g1), take(vocab.tokens, g2))
