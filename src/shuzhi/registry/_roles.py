"""Which resources feed a registry and which field plays which role — read from the catalog.

A role is what a field means to entity resolution: the person's citizen ID, name, date of birth,
sex, phone, address … Roles come from each field's ``standard`` (``idcard`` → ``id_number``,
``name`` → ``name``, ``address`` → ``address``, ``phone`` → ``phone``, ``sex`` → ``sex``,
``uscc`` → ``uscc``, ``orgcode`` → ``org_code``), and for dates from the field's name or label
(出生 → ``birth_date``, 死亡 → ``death_date``, 更新/变更/登记/注销/发放/建档 → ``record_date``; for
legal entities 成立/开业 → ``reg_date``, 注销/吊销 → ``cancel_date`` as well). Text fields are read by
their name or label: 名称 → ``org_name``, 组织机构代码 → ``org_code``, 登记状态/经营状态 →
``reg_status``, 法定代表人/负责人/经营者 → ``legal_rep_name``. Nothing here knows any city's column
names.

What the standards cannot tell is declared in the resource's ``registry:`` section
(:class:`RegistrySpec`)::

    registry:
      entity: person
      roles: {birth_date: csrq, id_number: sfzh}
      ignore: [jhrsfzh]          # the guardian's ID is not the subject's
      priority: 10               # 公安户籍: first for name, ID, birth date and sex

One column whose meaning a type column gives (身份证明号码 after 身份证明名称: a citizen ID or a credit
code) is declared for both roles, each with a condition (``when``)::

    registry:
      roles: {id_number: zjhm, uscc: zjhm, name: mc, org_name: mc}
      when:
        id_number: {zjlx: [居民身份证, 身份证, "01"]}
        uscc: {zjlx: [统一社会信用代码]}

A conditional role holds only on the rows where the condition field has one of the values (trimmed,
exactly); a condition on a registry's subject role (:data:`SUBJECT_ROLES`) also picks the rows that
take part in that registry — so the resource above feeds the person registry with its 居民身份证
rows and the legal-entity registry with its 统一社会信用代码 rows, and other rows feed neither. All
of it becomes SQL (:meth:`SourceRoles.value_sql`, :meth:`SourceRoles.rows_sql`): no row is read in
Python.

A field that is not the record's subject (监护人, 父亲, 联系人, 法定代表人 …) is never taken for a
person's own role. When two fields still qualify for an identifying role (``id_number``,
``name``, ``uscc``, ``org_name``) the resource is refused until its ``registry:`` section says
which; for the other roles the preferred field is taken (现住址 before 户籍地址, 手机 before 电话,
else the first) and the choice is reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel

from shuzhi.catalog.spec import FieldSpec, FieldType, ResourceKind, ResourceSpec
from shuzhi.errors import ValidationError
from shuzhi.registry._spec import BASE_PRIORITY, IDENTIFYING, SUBJECT_ROLES, EntityKind, RegistrySpec, Role

__all__ = ["SourceRoles", "derive_roles", "registry_spec"]


def registry_spec(
    spec: ResourceSpec, declared: RegistrySpec | Mapping[str, object] | None = None
) -> RegistrySpec:
    """The resource's ``registry:`` section: ``declared`` if given, else the spec's own (once
    :class:`ResourceSpec` carries one), else the defaults."""
    if declared is None:
        declared = getattr(spec, "registry", None)
    if declared is None:
        return RegistrySpec()
    if isinstance(declared, RegistrySpec):
        return declared
    if isinstance(declared, BaseModel):
        return RegistrySpec.model_validate(declared.model_dump())
    return RegistrySpec.model_validate(dict(declared))


#: roles a person record needs at least two of (one being id_number or name) to take part
_PERSON_EVIDENCE = (Role.id_number, Role.name, Role.birth_date, Role.phone, Role.address)


@dataclass(frozen=True)
class SourceRoles:
    """A resource as a registry sees it."""

    resource: str
    entity: EntityKind
    #: role -> field name
    roles: dict[Role, str]
    #: the declared key fields (the crosswalk's key); empty: records are keyed by content
    key: tuple[str, ...]
    priority: int
    #: division code the resource's addresses come from (``ResourceSpec.region``)
    region: str | None
    #: how ambiguities were settled, in both languages
    notes: tuple[str, ...] = field(default=())
    #: role -> ((condition field, values), ...): the role holds only on rows meeting every one
    when: dict[Role, tuple[tuple[str, tuple[str, ...]], ...]] = field(default_factory=dict)
    #: the conditional subject roles: a row takes part in the registry when one of them holds
    rows_when: tuple[Role, ...] = ()

    def field_for(self, role: Role) -> str | None:
        return self.roles.get(role)

    @property
    def fields(self) -> tuple[str, ...]:
        """Every field the registry reads: the roles' and the conditions' (not the key's)."""
        names = dict.fromkeys(self.roles.values())
        for cond in self.when.values():
            names.update(dict.fromkeys(f for f, _ in cond))
        return tuple(names)

    def condition_sql(self, role: Role) -> str | None:
        """SQL true on the rows where ``role`` holds; None when it holds on every row."""
        cond = self.when.get(role)
        if not cond:
            return None
        return " AND ".join(
            f"coalesce(trim(CAST({_ident(f)} AS VARCHAR)) IN ({', '.join(_lit(v) for v in values)}), false)"
            for f, values in cond
        )

    def value_sql(self, role: Role, expr: str) -> str:
        """``expr`` (the role's value) where the role holds, else NULL."""
        cond = self.condition_sql(role)
        return expr if cond is None else f"CASE WHEN {cond} THEN {expr} END"

    def rows_sql(self) -> str | None:
        """SQL true on the rows that take part in this registry; None: every row."""
        conds = [c for r in self.rows_when if (c := self.condition_sql(r)) is not None]
        if not conds:
            return None
        return " OR ".join(f"({c})" for c in conds)

    def to_dict(self) -> dict[str, object]:
        d: dict[str, object] = {
            "resource": self.resource,
            "entity": self.entity.value,
            "roles": {r.value: f for r, f in self.roles.items()},
            "key": list(self.key),
            "priority": self.priority,
            "region": self.region,
            "notes": list(self.notes),
        }
        if self.when:
            d["when"] = {r.value: {f: list(v) for f, v in cond} for r, cond in self.when.items()}
            d["rows_when"] = [r.value for r in self.rows_when]
        return d


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


#: roles whose values are codes of different kinds: one field declared for two of them (a column
#: of citizen IDs and credit codes) needs a condition on each, on disjoint values
_CODE_ROLES = (Role.id_number, Role.uscc, Role.org_code)


# -- reading fields -------------------------------------------------------------------------------

#: words of a name or label saying the field is about someone other than the record's subject
_OTHER_PERSON = re.compile(
    r"监护|父亲|母亲|配偶|丈夫|妻子|子女|亲属|联系人|紧急|法定代表|法人代表|负责人|户主|经办|代理|担保|"
    r"guardian|father|mother|spouse|contact|legal_?rep|agent|(?:^|_)(?:jhr|fq|mq|po|lxr|fddbr|frdb|hz)"
)
_FORMER = re.compile(r"曾用名|别名|原名|旧名|former|alias|(?:^|_)cym")
_BIRTH = re.compile(r"出生|生日|birth|dob|csrq|csny")
_DEATH = re.compile(r"死亡|去世|亡故|death|swrq|swsj")
_RECORD_DATE = re.compile(
    r"更新|变更|修改|登记|采集|录入|注销|发放|建档|审批|办理|update|modif|gxsj|bgsj|djrq|cjsj|zxrq|ffrq"
)
_STATUS = re.compile(r"人员状态|生存状态|存活|是否死亡|死亡标志|死亡状态|vital|ryzt")
_ORG_NAME = re.compile(r"单位名称|企业名称|机构名称|组织名称|商户名称|名称|org_?name|dwmc|qymc|jgmc")
_CURRENT_ADDRESS = re.compile(r"现住|居住|现居|常住|实际|xzz|jzdz")
_MOBILE = re.compile(r"手机|移动|mobile|sjh")
_LEGAL_REP = re.compile(r"法定代表|法人代表|负责人|经营者|legal_?rep|(?:^|_)(?:fddbr|frdb)")
_ORG_CODE = re.compile(r"组织机构代码|机构代码|org_?code|zzjgdm|(?:^|_)jgdm")
_ESTABLISHED = re.compile(r"成立|开业|设立|注册日期|establish|found|(?:^|_)clrq")
_CANCELLED = re.compile(r"注销|吊销|撤销|cancel|revok|dereg|(?:^|_)(?:zxrq|dxrq)")
_REG_STATUS = re.compile(
    r"登记状态|经营状态|企业状态|存续状态|entity_?status|reg_?status|(?:^|_)(?:djzt|jyzt|qyzt)"
)


def _text(f: FieldSpec) -> str:
    return f"{f.name} {f.label} {f.label_en or ''}".lower()


def _is_date(f: FieldSpec) -> bool:
    return f.standard == "date" or f.type in (FieldType.date, FieldType.datetime)


def _candidates(spec: ResourceSpec, ignored: set[str]) -> dict[Role, list[FieldSpec]]:
    found: dict[Role, list[FieldSpec]] = {}

    def add(role: Role, f: FieldSpec) -> None:
        found.setdefault(role, []).append(f)

    for f in spec.fields:
        if f.name in ignored:
            continue
        text = _text(f)
        other = bool(_OTHER_PERSON.search(text))
        rep = bool(_LEGAL_REP.search(text))
        if f.standard == "idcard":
            if rep:
                add(Role.legal_rep_id, f)
            elif not other:
                add(Role.id_number, f)
        elif f.standard == "name":
            if rep:
                add(Role.legal_rep_name, f)
            elif not other:
                add(Role.former_name if _FORMER.search(text) else Role.name, f)
        elif f.standard == "uscc":
            add(Role.uscc, f)
        elif f.standard == "orgcode" or (
            f.standard in (None, "text") and f.type is FieldType.string and _ORG_CODE.search(text)
        ):
            add(Role.org_code, f)
        elif f.standard == "sex" and not other:
            add(Role.sex, f)
        elif f.standard == "phone" and not other:
            add(Role.phone, f)
        elif f.standard == "address" and not other:
            add(Role.address, f)
        elif _is_date(f) and not other:
            if _ESTABLISHED.search(text):
                add(Role.reg_date, f)
                continue
            if _CANCELLED.search(text):  # a legal entity's 注销日期; a person's record date
                add(Role.cancel_date, f)
            if _BIRTH.search(text):
                add(Role.birth_date, f)
            elif _DEATH.search(text):
                add(Role.death_date, f)
            elif _RECORD_DATE.search(text):
                add(Role.record_date, f)
        elif f.standard in (None, "text") and f.type is FieldType.string and rep:
            if not re.search(r"证件|身份|号码|代码|电话|手机|id|phone|tel", text):
                add(Role.legal_rep_name, f)
        elif f.standard in (None, "text") and f.type is FieldType.string and not other:
            if _REG_STATUS.search(text):
                add(Role.reg_status, f)
            elif _STATUS.search(text):
                add(Role.vital_status, f)
            elif _ORG_NAME.search(text):
                add(Role.org_name, f)
    return found


def _prefer(role: Role, fields: Sequence[FieldSpec]) -> list[FieldSpec]:
    """Narrow several candidates for ``role`` by what their labels say."""
    if role is Role.address:
        current = [f for f in fields if _CURRENT_ADDRESS.search(_text(f))]
        return current or list(fields)
    if role is Role.phone:
        mobile = [f for f in fields if _MOBILE.search(_text(f))]
        return mobile or list(fields)
    keys = [f for f in fields if f.key]
    return keys or list(fields)


def derive_roles(
    spec: ResourceSpec,
    declared: RegistrySpec | Mapping[str, object] | None = None,
    *,
    entity: EntityKind | str = EntityKind.person,
) -> SourceRoles | None:
    """The roles of ``spec``'s fields for the ``entity`` registry, or None when the resource does
    not take part in it (excluded, another entity's, or too few identifying roles).

    Raises :class:`~shuzhi.errors.ValidationError` (keyed ``<resource>.registry…``) when the
    ``registry:`` section names unknown fields, or when two fields qualify for an identifying
    role and nothing says which one is the subject's.
    """
    entity = EntityKind(entity)
    reg = registry_spec(spec, declared)
    if not reg.include:
        return None
    names = {f.name for f in spec.fields}
    where = f"{spec.code}.registry"
    problems: dict[str, list[str]] = {}
    for role, fname in reg.roles.items():
        if fname not in names:
            problems.setdefault(f"{where}.roles.{role.value}", []).append(
                f"资源没有信息项 {fname!r} / the resource has no field {fname!r}"
            )
    for fname in reg.ignore:
        if fname not in names:
            problems.setdefault(f"{where}.ignore", []).append(
                f"资源没有信息项 {fname!r} / the resource has no field {fname!r}"
            )
    condition_fields: set[str] = set()
    for role, cond in reg.when.items():
        for cfield in cond:
            condition_fields.add(cfield)
            if cfield not in names:
                problems.setdefault(f"{where}.when.{role.value}.{cfield}", []).append(
                    f"资源没有信息项 {cfield!r} / the resource has no field {cfield!r}"
                )
            elif reg.roles.get(role) == cfield:
                problems.setdefault(f"{where}.when.{role.value}.{cfield}", []).append(
                    f"条件信息项不能是该角色自身的信息项 {cfield!r} / the condition's field {cfield!r} "
                    f"is the role's own field"
                )
    problems.update(_code_conflicts(reg, where))
    if problems:
        raise ValidationError(problems)

    declared_fields = set(reg.roles.values())
    # a condition's field (证件类型) says what another field is; it plays no role itself
    found = _candidates(spec, set(reg.ignore) | declared_fields | condition_fields)
    roles: dict[Role, str] = {}
    notes: list[str] = []
    for role in Role:
        if role in reg.roles:
            roles[role] = reg.roles[role]
            continue
        fields = found.get(role, [])
        if not fields:
            continue
        if len(fields) > 1:
            narrowed = _prefer(role, fields)
            if len(narrowed) > 1 and role in IDENTIFYING:
                listed = "、".join(f"{f.name}（{f.label}）" for f in fields)
                problems.setdefault(f"{where}.roles.{role.value}", []).append(
                    f"有多个信息项可作为“{role.value}”：{listed}，请在 registry.roles 中声明 / "
                    f"several fields could be the subject's {role.value}: "
                    f"{', '.join(f.name for f in fields)}; declare one under registry.roles"
                )
                continue
            chosen = narrowed[0]
            others = ", ".join(f.name for f in fields if f is not chosen)
            notes.append(
                f"{role.value}: 取 {chosen.name}（{chosen.label}），未取 {others} / "
                f"took {chosen.name}, not {others} (declare registry.roles.{role.value} to choose)"
            )
            roles[role] = chosen.name
        else:
            roles[role] = fields[0].name
    for role in reg.when:
        if role not in roles:
            problems.setdefault(f"{where}.when.{role.value}", []).append(
                f"没有信息项担任“{role.value}”，条件无从适用；请在 registry.roles 中声明 / no field plays "
                f"{role.value}, so its condition applies to nothing: declare it under registry.roles"
            )
    if problems:
        raise ValidationError(problems)

    codes = {Role.uscc, Role.org_code} & set(roles)
    # an entity's code that holds only on some rows (a mixed column) leaves the other rows to persons
    mixed = bool(codes) and codes <= set(reg.when)
    if mixed and reg.entity is None and not set(SUBJECT_ROLES[EntityKind.person]) & set(reg.when):
        conditional = ", ".join(r.value for r in sorted(codes & set(reg.when)))
        raise ValidationError(
            {
                f"{where}.when": [
                    f"{conditional} 只在部分记录上成立，其余记录将作为自然人进入人口库；请同时为 id_number "
                    f"或 name 声明条件 / {conditional} holds only on some rows, so the others would feed "
                    f"the person registry as they are: declare a condition for id_number or name too"
                ]
            }
        )
    if reg.entity is not None:
        feeds = {reg.entity}
    elif codes and not mixed:
        feeds = {EntityKind.legal_entity}
    elif mixed:
        feeds = {EntityKind.legal_entity, EntityKind.person}
    else:
        feeds = {EntityKind.person}
    if entity not in feeds:
        return None
    if entity is EntityKind.person:
        evidence = [r for r in _PERSON_EVIDENCE if r in roles]
        if not ({Role.id_number, Role.name} & set(evidence)) or len(evidence) < 2:
            return None
    elif not ({Role.uscc, Role.org_code, Role.org_name, Role.name} & set(roles)):
        return None
    return SourceRoles(
        resource=spec.code,
        entity=entity,
        roles=roles,
        key=tuple(f.name for f in spec.key_fields),
        priority=reg.priority
        if reg.priority is not None
        else BASE_PRIORITY
        if spec.kind is ResourceKind.base
        else 0,
        region=spec.region,
        notes=tuple(notes),
        when={
            role: tuple((f, tuple(v)) for f, v in cond.items())
            for role, cond in reg.when.items()
            if role in roles
        },
        rows_when=tuple(r for r in SUBJECT_ROLES[entity] if r in roles and r in reg.when),
    )


def _code_conflicts(reg: RegistrySpec, where: str) -> dict[str, list[str]]:
    """One field declared for two code roles must be conditional on both, on disjoint values."""
    problems: dict[str, list[str]] = {}
    for i, a in enumerate(_CODE_ROLES):
        for b in _CODE_ROLES[i + 1 :]:
            fa, fb = reg.roles.get(a), reg.roles.get(b)
            if fa is None or fa != fb:
                continue
            ca, cb = reg.when.get(a), reg.when.get(b)
            if ca is None or cb is None:
                problems.setdefault(f"{where}.when", []).append(
                    f"信息项 {fa!r} 同时声明为 {a.value} 和 {b.value}，须在 registry.when 中为两者各声明条件"
                    f"（如证件类型）/ field {fa!r} is declared as both {a.value} and {b.value}: give each a "
                    f"condition under registry.when (e.g. on the ID type field)"
                )
                continue
            for cfield in set(ca) & set(cb):
                both = sorted(set(ca[cfield]) & set(cb[cfield]))
                if both:
                    problems.setdefault(f"{where}.when.{b.value}.{cfield}", []).append(
                        f"值 {'、'.join(both)} 同时出现在 {a.value} 和 {b.value} 的条件中 / the value(s) "
                        f"{', '.join(both)} are in the conditions of both {a.value} and {b.value}"
                    )
    return problems
