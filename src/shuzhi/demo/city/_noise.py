"""Noise rates: how messy each department's data is, and how many anomalies are planted."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from shuzhi.errors import ValidationError

__all__ = ["Noise", "parse_noise"]


@dataclass(frozen=True, slots=True)
class Noise:
    """Rates (0–1) of the messes and anomalies planted in the departmental datasets.

    Every rate is the share of the eligible records (named in each comment) that get the mess;
    ``Noise()`` is the default city, ``Noise.clean()`` a city without any.
    """

    #: every department but 公安 and 网格员: an identity number with one wrong digit (always invalid)
    id_typo: float = 0.004
    #: any department but 公安: an identity number ending in X written with a lower-case x
    lowercase_x: float = 0.3
    #: 卫健: records of people born before 1985 that still carry the 15-digit identity number
    legacy_id15: float = 0.3
    #: 卫健: rows the old system wrote in Traditional characters (name and address)
    traditional: float = 0.25
    #: 卫健: rows without a phone number
    missing_phone: float = 0.35
    #: 卫健, 教育, 交警: people who moved within the city whose old address the department keeps
    stale_address: float = 0.5
    #: 卫健, 人社: people who changed their name whose old name the department keeps
    old_name: float = 0.5
    #: 网格员: share of the grid cells whose households were visited
    grid_coverage: float = 0.3
    #: 网格员: identity numbers with one wrong digit
    grid_id_typo: float = 0.03
    #: 网格员: identity numbers left empty
    grid_missing_id: float = 0.05
    #: 网格员: names with one character replaced by a homophone (张伟 → 张炜)
    grid_homophone: float = 0.05
    #: 网格员: addresses written as free text (abbreviated, without city, 3-2-401 style)
    grid_free_address: float = 0.6
    #: 网格员: people collected twice (a second row with its own number)
    grid_duplicate: float = 0.02
    #: 市场监管: unified social credit codes with one wrong character (always invalid)
    uscc_typo: float = 0.01
    #: 人社: pensioners who died before the last paid month and are still paid
    pension_after_death: float = 0.3
    #: 民政: recipients of the old-age subsidy who died and are still paid
    subsidy_after_death: float = 0.3
    #: 民政: minimum-allowance households given a member who is the legal representative of a business
    allowance_owner: float = 0.03
    #: 民政: minimum-allowance households given a vehicle
    allowance_vehicle: float = 0.03

    @classmethod
    def clean(cls) -> Noise:
        """A city without any mess or planted anomaly (every rate 0)."""
        return cls(**{f.name: 0.0 for f in dataclasses.fields(cls)})

    def with_rates(self, rates: dict[str, float]) -> Noise:
        """A copy with the given rates changed (unknown names and rates outside 0–1 refused)."""
        known = {f.name for f in dataclasses.fields(self)}
        problems: dict[str, list[str]] = {}
        for name, rate in rates.items():
            if name not in known:
                problems.setdefault(name, []).append(
                    f"未知的噪声参数 / unknown noise parameter; 可选 / known: {', '.join(sorted(known))}"
                )
            elif not 0.0 <= rate <= 1.0:
                problems.setdefault(name, []).append(f"比率须在 0 到 1 之间 / a rate is 0–1, not {rate}")
        if problems:
            raise ValidationError(problems)
        return dataclasses.replace(self, **rates)

    def to_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


def parse_noise(items: Iterable[str], base: Noise | None = None) -> Noise:
    """``["id_typo=0.01", "traditional=0"]`` applied to ``base`` (default :class:`Noise`)."""
    rates: dict[str, float] = {}
    problems: dict[str, list[str]] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        try:
            if not sep:
                raise ValueError
            rates[name] = float(value)
        except ValueError:
            problems.setdefault(item, []).append("应写作 名称=比率 / write name=rate, e.g. id_typo=0.01")
    if problems:
        raise ValidationError(problems)
    return (base or Noise()).with_rates(rates)
