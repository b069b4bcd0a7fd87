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
from shuzhi.registry._spec import BASE_PRIORITY, IDENTIFYING, EntityKind, RegistrySpec, Role

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

    def field_for(self, role: Role) -> str | None:
        return self.roles.get(role)

    def to_dict(self) -> dict[str, object]:
        return {
            "resource": self.resource,
            "entity": self.entity.value,
            "roles": {r.value: f for r, f in self.roles.items()},
            "key": list(self.key),
            "priority": self.priority,
            "region": self.region,
            "notes": list(self.notes),
        }


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
    if problems:
        raise ValidationError(problems)

    declared_fields = set(reg.roles.values())
    found = _candidates(spec, set(reg.ignore) | declared_fields)
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
    if problems:
        raise ValidationError(problems)

    own = reg.entity or (
        EntityKind.legal_entity if {Role.uscc, Role.org_code} & set(roles) else EntityKind.person
    )
    if own is not entity:
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
    )
