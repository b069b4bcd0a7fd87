"""Organisation names and credit codes for the legal-entity registry (法人库), as SQL expressions.

Every expression takes a SQL expression and returns one, so that a build computes them once per
*distinct* value on the workspace engine (which has the standards macros) and a look-up computes
the same for the text typed in — one definition for both.

Organisation names, in three keys of decreasing strictness:

``name_full``
    ``sz_text_normalize`` (full width → half width, Traditional → Simplified), upper-case Latin
    letters, white space, punctuation and every kind of bracket (（）()【】〔〕[]) dropped, and the
    legal forms written alike: 有限责任公司 → 有限公司 (股份有限公司 stays what it is).
``name_key``
    ``name_full`` of the name without the province or prefecture-level city it starts with (山西省,
    山西, 晋城市, 晋城 …, from the standards' division list) and without a bracketed one anywhere
    (…科技（晋城）有限公司): the city/province prefix written or not. County names are kept: the
    organs and hospitals of two counties differ by nothing else.
``name_core``
    ``name_key`` without its trailing legal form (股份有限公司, 有限公司, 公司, 集团): used only with
    supporting evidence (the same legal representative or address). NULL for a branch.

Branches (分公司, 分店, 营业部, 分部, 分厂, 分行, 支行, 办事处) are entities of their own: their keys keep
the branch part, so they never take their head office's records. ``branch_head`` is the head
office's ``name_key`` (the name up to the last 公司/集团/店/馆/厂/行/社/中心/所/部/市 before the branch
part), by which the registry links a branch to its parent.

Credit codes: ``uscc_text`` squashes what was written (white space, full width, case) and
:func:`uscc_fixed_sql` tries the letter O and I read as 0 and 1 — kept only when the check
character then validates.
"""

from __future__ import annotations

from functools import cache

__all__ = [
    "BRANCH_WORDS",
    "branch_head_sql",
    "is_branch_sql",
    "name_core_sql",
    "name_full_sql",
    "name_key_sql",
    "org9_sql",
    "region_prefixes",
    "uscc_fixed_sql",
    "uscc_text_sql",
]

BRANCH_WORDS = ("分公司", "分店", "营业部", "分部", "分厂", "分行", "支行", "办事处")
_LEGAL_FORMS = ("股份有限公司", "有限公司", "公司", "集团")
_HEAD_END = "公司|集团|店|馆|厂|行|社|中心|所|部|市|院"


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@cache
def region_prefixes() -> tuple[str, ...]:
    """Names of the provinces and prefecture-level divisions, full and short (山西省, 山西, 晋城市,
    晋城), longest first."""
    from shuzhi.standards import divisions

    names: set[str] = set()
    for p in divisions.provinces():
        names.add(p.name)
        names.update(divisions.short_forms(p.name, "province"))
        for c in divisions.children(p.code):
            if c.level != "prefecture":
                continue
            names.add(c.name)
            names.update(divisions.short_forms(c.name, "prefecture"))
    return tuple(sorted((n for n in names if len(n) >= 2), key=lambda n: (-len(n), n)))


def _alternation() -> str:
    return "|".join(region_prefixes())


def _squash(expr: str) -> str:
    """Upper case, no white space or punctuation; brackets kept (dropped by the caller)."""
    return (
        f"regexp_replace(upper(coalesce(sz_text_normalize({expr}), '')), "
        "'[\\s\\x{3000}·•.,，、。\"“”‘’:：;；\\-_/\\\\*#&＆+]', '', 'g')"
    )


def _forms(expr: str) -> str:
    brackets = "'[()\\[\\]【】〔〕（）<>《》]'"
    return f"replace(regexp_replace({expr}, {brackets}, '', 'g'), '有限责任公司', '有限公司')"


def name_full_sql(expr: str) -> str:
    """The normalised name, prefix kept (NULL when nothing is left)."""
    return f"nullif({_forms(_squash(expr))}, '')"


def name_key_sql(expr: str) -> str:
    """The normalised name without the province/city prefix (written or not)."""
    alt = _alternation()
    no_bracketed = f"regexp_replace({_squash(expr)}, '[(\\[【〔（](?:{alt})[)\\]】〕）]', '', 'g')"
    full = _forms(no_bracketed)
    stripped = f"regexp_replace({full}, '^(?:{alt})+', '')"
    # a name that is nothing but a region (晋城市) keeps it
    return f"nullif(CASE WHEN length({stripped}) >= 2 THEN {stripped} ELSE {full} END, '')"


def is_branch_sql(key: str) -> str:
    words = "|".join(BRANCH_WORDS)
    return f"coalesce(regexp_matches({key}, '.(?:{words})$'), false)"


def branch_head_sql(key: str) -> str:
    """The head office's ``name_key`` of a branch's ``key`` (NULL when not a branch or not found)."""
    words = "|".join(BRANCH_WORDS)
    head = f"regexp_extract({key}, '^(.*(?:{_HEAD_END})).{{0,12}}?(?:{words})$', 1)"
    return f"CASE WHEN {is_branch_sql(key)} THEN nullif({head}, '') END"


def name_core_sql(key: str) -> str:
    """``key`` without its trailing legal form; NULL for branches and names left too short."""
    forms = "|".join(_LEGAL_FORMS)
    core = f"regexp_replace({key}, '(?:{forms})$', '')"
    return f"CASE WHEN NOT {is_branch_sql(key)} AND length({core}) >= 2 THEN {core} END"


def uscc_text_sql(expr: str) -> str:
    """The code as written: white space, dashes and full width gone, upper case."""
    return f"nullif(regexp_replace(upper(coalesce(sz_text_normalize({expr}), '')), '[\\s\\-]', '', 'g'), '')"


def uscc_fixed_sql(squashed: str) -> str:
    """The valid 18-character code of ``squashed`` (from :func:`uscc_text_sql`), reading O as 0 and
    I as 1 when needed and the check character then validates; else NULL."""
    fixed = f"translate({squashed}, 'OI', '01')"
    return (
        f"CASE WHEN sz_uscc_valid({squashed}) THEN sz_uscc_normalize({squashed}) "
        f"WHEN {squashed} <> {fixed} AND sz_uscc_valid({fixed}) THEN sz_uscc_normalize({fixed}) END"
    )


def org9_sql(expr: str) -> str:
    """A valid organisation code (GB 11714) as 9 characters without the hyphen, else NULL."""
    return f"CASE WHEN sz_orgcode_valid({expr}) THEN replace(sz_orgcode_normalize({expr}), '-', '') END"
