"""People in households, generated column by column with numpy (no loop over people or households).

1. Age and sex are drawn from the 2020 census pyramid (``data/census2020_pyramid.csv``).
2. Married men and women are paired by age rank (husbands about two years older); each couple
   is a household headed by the husband. Children (under 20, and half of the unmarried in their
   twenties: 70 %) join a couple whose wife is 20–42 years older; 55 % of the unmarried over 65 join a
   couple a generation younger as the husband's or the wife's parent; everyone else lives alone.
3. Twins: pairs of children of the same age are made siblings with one birth date.
4. Surnames from ``data/surnames_freq.csv`` (children take the father's, 8 % the mother's),
   given names from ``data/given_chars.csv`` / ``data/given_names.csv`` by sex and generation,
   ethnic groups from ``data/ethnic_shares.csv`` (children follow a parent), with the naming
   customs of ``data/minority_names.csv``.
5. Identity numbers (GB 11643) from the birth region (the county's code at the time, retired
   codes included; 5–15 % born elsewhere in China), the birth date and the sex.
6. Phones, deaths (age-specific rates over the last three years), households that moved out of
   the city or within it, name changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shuzhi.demo.city._data import cat, num, read_table, take
from shuzhi.demo.city._geo import City

__all__ = [
    "AS_OF",
    "ID_CHECK",
    "ID_WEIGHTS",
    "People",
    "Vocabulary",
    "assign_ids",
    "check_chars",
    "make_people",
    "vocabulary",
]

#: the reference date of the city: ages, deaths and payments are as of this day
AS_OF = dt.date(2025, 12, 31)
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = "10X98765432"

#: relation to the head of the household (公安 writes these words)
RELATIONS = ("户主", "配偶", "子", "女", "父亲", "母亲", "岳父", "岳母")
HEAD, SPOUSE, SON, DAUGHTER, FATHER, MOTHER, FATHER_IN_LAW, MOTHER_IN_LAW = range(8)
STATUS = ("正常", "死亡", "迁出")
ALIVE, DEAD, MOVED_OUT = range(3)

#: annual probability of death by age (rounded from China's life tables around 2020)
_DEATH_AGES = np.array([0, 1, 40, 50, 60, 65, 70, 75, 80, 85, 90])
_DEATH_Q = np.array([0.005, 0.0006, 0.002, 0.005, 0.009, 0.014, 0.024, 0.04, 0.07, 0.12, 0.22])
#: given-name shapes by generation (born <1970, 1970–1994, 1995–): one character, a popular name
_P_SINGLE = np.array([0.20, 0.25, 0.06])
_P_POPULAR = np.array([0.12, 0.05, 0.08])
_MOBILE_PREFIXES = np.array(
    [
        *(134, 135, 136, 137, 138, 139, 150, 151, 152, 157, 158, 159, 182, 183, 187, 188, 130, 131, 132),
        *(155, 156, 185, 186, 133, 153, 180, 181, 189, 177, 199, 191, 198, 166, 176, 173, 178, 147, 195),
    ]
)
#: common characters that are easily written for one another (added to the homophone pool)
_HOMOPHONE_POOL = (
    "君俊峻骏钧均玮维为卫薇微方仿莉利立力理礼化桦铧蔷墙民闽名鸣婧靖京菁精纳那炜伟涛滔韬"
    "磊蕾垒勇永咏杰洁捷婕斌彬滨宾超潮钊明铭辉晖慧惠鹏朋飞菲霏鑫新欣馨宇雨语羽浩皓昊豪"
    "凯恺楷健建剑帆凡繁旭序栩阳扬洋亮靓峰锋丰晨辰臣博柏泊国帼志智芝海彦艳燕雁娟鹃霞侠"
    "玲琳林霖婷庭亭雪莹颖盈倩茜丹彤瑶遥怡宜仪悦月越梦萌涵寒晗诗思斯嘉佳家秀绣英瑛兰岚"
    "珍贞桂贵凤峰梅媚萍平华桦荣蓉淑舒春纯琴勤芬纷翠萃彩菜香湘金锦爱艾"
)


def _weights(rows: tuple[dict[str, str], ...], col: str) -> np.ndarray:
    w = np.array([float(r[col]) for r in rows])
    out: np.ndarray = w / w.sum()
    return out


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Surnames and name tokens with their sampling weights; a name is ``surname + tok1 + tok2``."""

    surnames: list[str]  # last entry "" (no surname)
    surname_p: np.ndarray  # over surnames[:-1]
    tokens: list[str]  # entry 0 ""
    #: (sex 0 male / 1 female, generation 0–2) -> (token ids, probabilities): single characters
    chars: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]
    popular: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]
    #: style -> sex -> token ids (minority naming customs)
    minority: dict[str, dict[int, np.ndarray]]
    dot_father: dict[str, int]  # word -> token id of "·word"
    ethnic_codes: list[str]
    ethnic_names: list[str]
    ethnic_p: np.ndarray
    ethnic_style: list[str]
    #: per token / surname: up to 3 homophone variants (same toneless pinyin), themselves if none
    token_alt: np.ndarray  # (len(tokens), 3) token ids
    surname_alt: np.ndarray  # (len(surnames), 3) surname ids


def vocabulary() -> Vocabulary:
    from pypinyin import lazy_pinyin

    srows = read_table("surnames_freq")
    surnames = [r["surname"] for r in srows] + [""]
    tokens: list[str] = [""]
    index: dict[str, int] = {"": 0}

    def tok(word: str) -> int:
        if word not in index:
            index[word] = len(tokens)
            tokens.append(word)
        return index[word]

    chars: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    popular: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    for table, target, col in (("given_chars", chars, "char"), ("given_names", popular, "name")):
        rows = read_table(table)
        for sex, code in ((0, "m"), (1, "f")):
            sub = tuple(r for r in rows if r["sex"] == code)
            ids = np.array([tok(r[col]) for r in sub])
            for gen, wcol in enumerate(("w_old", "w_mid", "w_new")):
                w = np.array([float(r[wcol]) for r in sub])
                keep = w > 0
                target[(sex, gen)] = (ids[keep], w[keep] / w[keep].sum())
    minority: dict[str, dict[int, np.ndarray]] = {}
    dot_father: dict[str, int] = {}
    for r in read_table("minority_names"):
        sex = 0 if r["sex"] == "m" else 1
        minority.setdefault(r["style"], {}).setdefault(sex, np.array([], dtype=np.int64))
        minority[r["style"]][sex] = np.append(minority[r["style"]][sex], tok(r["word"]))
        if r["style"] == "dot" and sex == 0:
            dot_father[r["word"]] = tok("·" + r["word"])
    erows = read_table("ethnic_shares")

    # homophones: group characters by toneless pinyin
    pool = (
        {c for t in tokens for c in t if c != "·"}
        | set(_HOMOPHONE_POOL)
        | {s for s in surnames if len(s) == 1}
    )
    by_sound: dict[str, list[str]] = {}
    for c in sorted(pool):
        by_sound.setdefault(lazy_pinyin(c)[0], []).append(c)
    sound = {c: lazy_pinyin(c)[0] for c in pool}
    rng = np.random.default_rng(20201101)  # fixed: the variants are part of the vocabulary

    def variants(word: str) -> list[str]:
        out = []
        for i, c in enumerate(word):
            if c not in sound:
                continue
            for alt in by_sound[sound[c]]:
                if alt != c:
                    out.append(word[:i] + alt + word[i + 1 :])
        return out

    token_alt = np.zeros((len(tokens), 3), dtype=np.int64)
    n_fixed = len(tokens)
    for i in range(n_fixed):
        vs = variants(tokens[i]) if tokens[i] and not tokens[i].startswith("·") else []
        picks = [vs[j] for j in rng.permutation(len(vs))[:3]] if vs else []
        alt_ids = [tok(v) for v in picks] or [i]
        token_alt[i] = (alt_ids * 3)[:3]
    s_alt = np.zeros((len(surnames), 3), dtype=np.int64)
    s_index = {s: i for i, s in enumerate(surnames)}
    for i, s in enumerate(surnames):
        vs = [v for v in variants(s) if v in s_index] if len(s) == 1 else []
        alt_s = [s_index[v] for v in vs[:3]] or [i]
        s_alt[i] = (alt_s * 3)[:3]
    return Vocabulary(
        surnames=surnames,
        surname_p=_weights(srows, "share"),
        tokens=tokens,
        chars=chars,
        popular=popular,
        minority=minority,
        dot_father=dot_father,
        ethnic_codes=[r["code"] for r in erows],
        ethnic_names=[r["name"] for r in erows],
        ethnic_p=_weights(erows, "share"),
        ethnic_style=[r["name_style"] for r in erows],
        token_alt=token_alt,
        surname_alt=s_alt,
    )


@dataclass(slots=True)
class People:
    """One entry per person (arrays of equal length) and per household."""

    n: int
    sex: np.ndarray  # 1 male, 2 female (GB/T 2261.1)
    birth: np.ndarray  # datetime64[D]
    age: np.ndarray  # whole years at AS_OF
    hh: np.ndarray  # household index
    relation: np.ndarray  # index into RELATIONS
    marital: np.ndarray  # GB/T 2261.2 code: 10, 20, 30, 40
    ethnic: np.ndarray  # index into vocabulary ethnic lists
    surname: np.ndarray  # index into vocabulary surnames
    g1: np.ndarray  # token ids
    g2: np.ndarray
    old_g1: np.ndarray  # former given name (-1: never renamed)
    old_g2: np.ndarray
    renamed_on: np.ndarray  # datetime64[D], NaT if never
    region: np.ndarray  # int: birth region code in the ID
    born_elsewhere: np.ndarray  # bool
    id_body: np.ndarray  # int64: the first 17 digits
    id_check: np.ndarray  # index into ID_CHECK
    phone: np.ndarray  # int64, 0 = none
    status: np.ndarray  # index into STATUS
    status_date: np.ndarray  # datetime64[D]: death or moving-out date, NaT otherwise
    twin_of: np.ndarray  # person index of the twin, -1
    father: np.ndarray  # person index of the father in the household (-1)
    mother: np.ndarray
    # households
    n_hh: int
    hh_head: np.ndarray  # person index of the head
    hh_moved_on: np.ndarray  # datetime64[D]: moved within the city, NaT otherwise
    hh_prev: np.ndarray  # household whose address was the previous one (-1)

    def names(self, vocab: Vocabulary, *, old: bool = False) -> pa.Array:
        """Full names (``old``: the former name where there is one, else null)."""
        s = take(vocab.surnames, self.surname)
        if old:
            has = self.old_g1 >= 0
            out = cat(
                s,
                take(vocab.tokens, np.where(has, self.old_g1, 0)),
                take(vocab.tokens, np.where(has, self.old_g2, 0)),
            )
            return pc.if_else(pa.array(has), out, pa.nulls(self.n, pa.string()))
        return cat(s, take(vocab.tokens, self.g1), take(vocab.tokens, self.g2))

    def id_numbers(self) -> pa.Array:
        return cat(num(self.id_body), take(list(ID_CHECK), self.id_check))


def _check_index(body: np.ndarray) -> np.ndarray:
    digits = (body[:, None] // (10 ** np.arange(16, -1, -1, dtype=np.int64))) % 10
    return (digits @ ID_WEIGHTS) % 11


def _ymd(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, day


def _near(
    sorted_vals: np.ndarray, order: np.ndarray, target: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """For each target, a random one of the entries whose value is close to it (``order`` sorts them)."""
    k = len(sorted_vals)
    spread = max(1, k // 150)
    pos = np.searchsorted(sorted_vals, target) + rng.integers(-spread, spread + 1, size=len(target))
    result: np.ndarray = order[np.clip(pos, 0, k - 1)]
    return result


def make_people(n: int, vocab: Vocabulary, rng: np.random.Generator) -> People:
    """Everyone and their households; identity numbers come later (:func:`assign_ids`), once the
    households have places."""
    as_of = np.datetime64(AS_OF.isoformat(), "D")
    pyr = read_table("census2020_pyramid")
    groups = np.array([[int(r["age_from"]), 0] for r in pyr] + [[int(r["age_from"]), 1] for r in pyr])
    p = np.array([float(r["male"]) for r in pyr] + [float(r["female"]) for r in pyr])
    g = rng.choice(len(groups), size=n, p=p / p.sum())
    sex = groups[g, 1] + 1
    days = (groups[g, 0] * 365.2425 + rng.uniform(0, 5 * 365.2425, size=n)).astype(np.int64)
    birth = as_of - days.astype("timedelta64[D]")
    age = ((as_of - birth).astype(np.int64) / 365.2425).astype(np.int64)
    male = sex == 1

    # --- couples
    bands = np.array([0, 20, 25, 30, 35, 60, 70, 80])
    p_m = np.array([0.0, 0.05, 0.40, 0.75, 0.88, 0.85, 0.75, 0.55])
    p_f = np.array([0.0, 0.15, 0.55, 0.82, 0.90, 0.80, 0.60, 0.30])
    band = np.searchsorted(bands, age, side="right") - 1
    married = rng.random(n) < np.where(male, p_m[band], p_f[band])
    married &= np.where(male, age >= 22, age >= 20)
    men, women = np.flatnonzero(married & male), np.flatnonzero(married & ~male)
    k = min(len(men), len(women))
    men = np.sort(rng.choice(men, k, replace=False)) if len(men) > k else men
    women = np.sort(rng.choice(women, k, replace=False)) if len(women) > k else women
    husband = men[np.argsort(age[men] + rng.normal(0, 2.0, k), kind="stable")]
    wife = women[np.argsort(age[women] + 2 + rng.normal(0, 2.0, k), kind="stable")]
    married[:] = False
    married[husband] = married[wife] = True
    hh = np.full(n, -1, dtype=np.int64)
    relation = np.full(n, HEAD, dtype=np.int64)
    hh[husband] = hh[wife] = np.arange(k)
    relation[wife] = SPOUSE
    wage = age[wife]
    w_order = np.argsort(wage, kind="stable")
    w_sorted = wage[w_order]

    # --- children and young adults with their parents
    young = (~married) & ((age < 20) | ((age < 30) & (rng.random(n) < 0.7)))
    kids = np.flatnonzero(young)
    gap = np.clip(rng.normal(27, 4, size=len(kids)), 20, 42)
    if k:
        hh[kids] = _near(w_sorted, w_order, age[kids] + gap, rng)
        relation[kids] = np.where(male[kids], SON, DAUGHTER)
    # --- elderly parents
    elders = np.flatnonzero((~married) & (hh < 0) & (age >= 65) & (rng.random(n) < 0.55))
    if k and len(elders):
        c = _near(w_sorted, w_order, age[elders] - np.clip(rng.normal(28, 4, len(elders)), 20, 40), rng)
        hh[elders] = c
        husband_side = rng.random(len(elders)) < 0.7
        relation[elders] = np.where(
            husband_side,
            np.where(male[elders], FATHER, MOTHER),
            np.where(male[elders], FATHER_IN_LAW, MOTHER_IN_LAW),
        )
    # --- everyone else alone
    alone = np.flatnonzero(hh < 0)
    hh[alone] = k + np.arange(len(alone))
    n_hh = k + len(alone)
    hh_head = np.concatenate([husband, alone])

    # --- twins: pairs of same-age children become siblings born on one day
    twin_of = np.full(n, -1, dtype=np.int64)
    child = np.flatnonzero(((relation == SON) | (relation == DAUGHTER)) & (age < 18))
    if len(child) > 1:
        o = child[np.lexsort((rng.random(len(child)), age[child]))]
        a, b = o[0:-1:2], o[1::2]
        same = age[a] == age[b]
        a, b = a[same], b[same]
        pick = rng.random(len(a)) < 0.012 * len(child) / max(len(a), 1)
        a, b = a[pick], b[pick]
        hh[b] = hh[a]
        birth[b] = birth[a]
        age[b] = age[a]
        twin_of[a], twin_of[b] = b, a

    father = np.full(n, -1, dtype=np.int64)
    mother = np.full(n, -1, dtype=np.int64)
    is_child = (relation == SON) | (relation == DAUGHTER)
    in_couple = hh < k
    father[is_child & in_couple] = husband[hh[is_child & in_couple]]
    mother[is_child & in_couple] = wife[hh[is_child & in_couple]]

    # --- marital status
    marital = np.full(n, 10, dtype=np.int64)
    marital[married] = 20
    older = (~married) & (age >= 30)
    r = rng.random(n)
    marital[older & (age < 60)] = np.where(r[older & (age < 60)] < 0.3, 40, 10)
    marital[older & (age >= 60)] = np.where(
        r[older & (age >= 60)] < 0.8, 30, np.where(r[older & (age >= 60)] < 0.9, 40, 10)
    )

    # --- ethnic groups: per household, children after a parent
    ne = len(vocab.ethnic_codes)
    ethnic = rng.choice(ne, size=n, p=vocab.ethnic_p)
    same_as_husband = rng.random(k) < 0.85
    ethnic[wife[same_as_husband]] = ethnic[husband[same_as_husband]]
    kid_c = np.flatnonzero(father >= 0)
    from_mother = (ethnic[mother[kid_c]] != 0) & (rng.random(len(kid_c)) < 0.5)
    ethnic[kid_c] = np.where(from_mother, ethnic[mother[kid_c]], ethnic[father[kid_c]])
    eld = np.flatnonzero(relation >= FATHER)
    side = np.where(relation[eld] <= MOTHER, husband[hh[eld]], wife[hh[eld]])
    ethnic[eld] = ethnic[side]
    style_names = np.array(vocab.ethnic_style)
    style = style_names[ethnic]
    style = np.where((style == "mongol") & (rng.random(n) < 0.5), "han", style)

    # --- surnames
    ns = len(vocab.surnames) - 1
    surname = rng.choice(ns, size=n, p=vocab.surname_p)
    sons = np.flatnonzero(father >= 0)
    surname[sons] = np.where(rng.random(len(sons)) < 0.92, surname[father[sons]], surname[mother[sons]])
    tw = np.flatnonzero(twin_of >= 0)
    lo = np.minimum(tw, twin_of[tw])
    surname[tw] = surname[lo]  # twins share one surname
    pa_m = np.flatnonzero(relation == FATHER)
    surname[pa_m] = surname[husband[hh[pa_m]]]
    pa_w = np.flatnonzero(relation == FATHER_IN_LAW)
    surname[pa_w] = surname[wife[hh[pa_w]]]

    # --- given names
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    gen = np.where(year < 1970, 0, np.where(year < 1995, 1, 2))
    g1, g2 = _given_names(vocab, sex, gen, rng)
    twins_a = np.flatnonzero((twin_of >= 0) & (np.arange(n) > twin_of) & (g2 > 0))
    g1[twins_a] = g1[twin_of[twins_a]]  # twins often share the first character (浩然/浩宇)
    none = len(vocab.surnames) - 1
    for st in ("dot", "tibetan", "mongol"):
        sel = np.flatnonzero(style == st)
        if len(sel) == 0:
            continue
        surname[sel] = none
        for sx in (0, 1):
            s2 = sel[sex[sel] == sx + 1]
            words = vocab.minority[st][sx]
            g1[s2] = words[rng.integers(len(words), size=len(s2))]
            if st == "tibetan":
                g2[s2] = words[rng.integers(len(words), size=len(s2))]
            elif st == "mongol":
                g2[s2] = 0
        if st == "dot":
            fwords = np.array(list(vocab.dot_father.values()))
            plain = {vocab.dot_father[w]: w for w in vocab.dot_father}
            dot_of = np.zeros(len(vocab.tokens), dtype=np.int64)
            for t_id, w in plain.items():
                dot_of[vocab.tokens.index(w)] = t_id
            g2[sel] = fwords[rng.integers(len(fwords), size=len(sel))]
            fa = sel[(father[sel] >= 0)]
            fa = fa[style[father[fa]] == "dot"]
            g2[fa] = np.where(dot_of[g1[father[fa]]] > 0, dot_of[g1[father[fa]]], g2[fa])

    # --- name changes (Han names only)
    as_of_i = as_of.astype(np.int64)
    renamed = (rng.random(n) < 0.005) & (age >= 16) & (style == "han")
    old_g1 = np.full(n, -1, dtype=np.int64)
    old_g2 = np.full(n, -1, dtype=np.int64)
    ri = np.flatnonzero(renamed)
    og1, og2 = _given_names(vocab, sex[ri], gen[ri], rng)
    same = (og1 == g1[ri]) & (og2 == g2[ri])
    og2[same] = np.where(g2[ri][same] == 0, g1[ri][same], 0)
    old_g1[ri], old_g2[ri] = og1, og2
    renamed_on = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    adult16 = (birth[ri] + np.timedelta64(16 * 365 + 4, "D")).astype(np.int64)
    renamed_on[ri] = rng.integers(np.maximum(adult16, as_of_i - 20 * 365), as_of_i + 1).astype(
        "datetime64[D]"
    )

    # --- phones: most people over 14; some couples share one
    pref = _MOBILE_PREFIXES[rng.integers(len(_MOBILE_PREFIXES), size=n)]
    phone = pref * 100_000_000 + rng.integers(0, 100_000_000, size=n)
    has_phone = (age >= 14) & (rng.random(n) < np.where(age >= 80, 0.6, 0.97))
    phone = np.where(has_phone, phone, 0)
    share = rng.random(k) < 0.05
    phone[wife[share]] = phone[husband[share]]

    # --- deaths over the last three years, moves
    q = _DEATH_Q[np.searchsorted(_DEATH_AGES, age, side="right") - 1]
    dead = rng.random(n) < 1 - (1 - q) ** 3
    status = np.where(dead, DEAD, ALIVE)
    status_date = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    di = np.flatnonzero(dead)
    d_lo = np.minimum(np.maximum(as_of_i - 3 * 365, birth[di].astype(np.int64) + 1), as_of_i)
    status_date[di] = rng.integers(d_lo, as_of_i + 1).astype("datetime64[D]")
    # a widowed spouse
    sp_dead = dead[husband] | dead[wife]
    marital[husband[sp_dead & ~dead[husband]]] = 30
    marital[wife[sp_dead & ~dead[wife]]] = 30
    # households that moved out of the city (everyone alive in them)
    out_hh = rng.random(n_hh) < 0.008
    out_date = rng.integers(as_of_i - 3 * 365, as_of_i + 1, size=n_hh).astype("datetime64[D]")
    mo = out_hh[hh] & ~dead
    status[mo] = MOVED_OUT
    status_date[mo] = out_date[hh[mo]]
    # households that moved within the city: their previous home was another household's address
    moved = (rng.random(n_hh) < 0.04) & ~out_hh
    hh_prev = np.full(n_hh, -1, dtype=np.int64)
    mi = np.flatnonzero(moved)
    hh_prev[mi] = (mi + rng.integers(1, n_hh, size=len(mi))) % n_hh
    hh_moved_on = np.full(n_hh, np.datetime64("NaT"), dtype="datetime64[D]")
    hh_moved_on[mi] = rng.integers(as_of_i - 5 * 365, as_of_i - 30, size=len(mi)).astype("datetime64[D]")

    return People(
        n=n,
        sex=sex,
        birth=birth,
        age=age,
        hh=hh,
        relation=relation,
        marital=marital,
        ethnic=ethnic,
        surname=surname,
        g1=g1,
        g2=g2,
        old_g1=old_g1,
        old_g2=old_g2,
        renamed_on=renamed_on,
        region=np.zeros(n, dtype=np.int64),
        born_elsewhere=np.zeros(n, dtype=bool),
        id_body=np.zeros(n, dtype=np.int64),
        id_check=np.zeros(n, dtype=np.int64),
        phone=phone,
        status=status,
        status_date=status_date,
        twin_of=twin_of,
        father=father,
        mother=mother,
        n_hh=n_hh,
        hh_head=hh_head,
        hh_moved_on=hh_moved_on,
        hh_prev=hh_prev,
    )


def _given_names(
    vocab: Vocabulary, sex: np.ndarray, gen: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    n = len(sex)
    g1 = np.zeros(n, dtype=np.int64)
    g2 = np.zeros(n, dtype=np.int64)
    u = rng.random(n)
    for sx in (0, 1):
        for gn in (0, 1, 2):
            sel = np.flatnonzero((sex == sx + 1) & (gen == gn))
            if len(sel) == 0:
                continue
            cids, cp = vocab.chars[(sx, gn)]
            pids, pp = vocab.popular[(sx, gn)]
            single = u[sel] < _P_SINGLE[gn]
            pop = (~single) & (u[sel] < _P_SINGLE[gn] + _P_POPULAR[gn])
            comp = ~(single | pop)
            a = rng.choice(cids, size=len(sel), p=cp)
            b = rng.choice(cids, size=len(sel), p=cp)
            c = rng.choice(pids, size=len(sel), p=pp)
            g1[sel] = np.where(pop, c, a)
            g2[sel] = np.where(comp, b, 0)
    return g1, g2


def assign_ids(people: People, city: City, county_of_person: np.ndarray, rng: np.random.Generator) -> None:
    """Birth regions and identity numbers (unique 17-digit bodies; check characters computed)."""
    n = people.n
    year, month, day = _ymd(people.birth)
    elsewhere_p = np.where((people.age >= 20) & (people.age < 60), 0.15, 0.05)
    elsewhere = rng.random(n) < elsewhere_p
    # locals born in another county of the city
    county = np.where(
        rng.random(n) < 0.15,
        rng.choice(len(city.county_codes), size=n, p=city.county_weights),
        county_of_person,
    )
    region = np.array(city.county_codes, dtype=np.int64)[county]
    for ci, former in enumerate(city.former_codes):
        for code, last_year in reversed(former):
            sel = (county == ci) & (year <= last_year)
            region[sel] = int(code)
    other = city.other_regions[rng.choice(len(city.other_regions), size=n, p=city.other_weights)]
    region = np.where(elsewhere, other, region)
    odd = (people.sex == 1).astype(np.int64)
    seq = rng.integers(0, 500, size=n) * 2 + odd
    base = region * 10**11 + year * 10**7 + month * 10**5 + day * 10**3
    body = base + seq
    for _ in range(50):
        _, first = np.unique(body, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            break
        di = np.flatnonzero(dup)
        body[di] = base[di] + rng.integers(0, 500, size=len(di)) * 2 + odd[di]
    people.region = region
    people.born_elsewhere = elsewhere
    people.id_body = body
    people.id_check = _check_index(body)


def check_chars(body: np.ndarray) -> np.ndarray:
    """Check characters (as indices into :data:`ID_CHECK`) of 17-digit bodies."""
    return _check_index(body)
