"""The ``registry:`` section of a catalog resource, and the names it uses.

This module depends on nothing but pydantic, so that :mod:`shuzhi.catalog.spec` can import
:class:`RegistrySpec` for ``ResourceSpec.registry`` without an import cycle.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

__all__ = ["BASE_PRIORITY", "IDENTIFYING", "SUBJECT_ROLES", "EntityKind", "RegistrySpec", "Role"]


class EntityKind(StrEnum):
    """The registries: 人口库 (persons) and 法人库 (legal entities)."""

    person = "person"
    legal_entity = "legal_entity"

    @property
    def label_zh(self) -> str:
        return {"person": "人口库", "legal_entity": "法人库"}[self.value]

    @property
    def prefix(self) -> str:
        """First character of the entity's registry identifiers."""
        return {"person": "P", "legal_entity": "E"}[self.value]


class Role(StrEnum):
    """What a field means to entity resolution."""

    id_number = "id_number"  # 公民身份号码 of the record's subject
    name = "name"  # 姓名
    former_name = "former_name"  # 曾用名
    birth_date = "birth_date"  # 出生日期
    sex = "sex"  # 性别 (GB/T 2261.1)
    phone = "phone"  # 联系电话
    address = "address"  # 住址
    death_date = "death_date"  # 死亡日期
    vital_status = "vital_status"  # 人员状态 (正常 / 死亡 …)
    record_date = "record_date"  # when the record was last updated (survivorship: most recent)
    uscc = "uscc"  # 统一社会信用代码
    org_name = "org_name"  # 单位名称
    legal_rep_id = "legal_rep_id"  # 法定代表人公民身份号码
    legal_rep_name = "legal_rep_name"  # 法定代表人姓名
    org_code = "org_code"  # 组织机构代码 (GB 11714), of records older than the credit code
    reg_status = "reg_status"  # 登记状态 of a legal entity (存续 / 在业 / 吊销 / 注销 …)
    reg_date = "reg_date"  # 成立日期 of a legal entity
    cancel_date = "cancel_date"  # 注销（吊销）日期 of a legal entity


#: survivorship priority of a base resource (基础信息资源) that declares none
BASE_PRIORITY = 10

#: roles that say who a record is about: two candidates for one of them is an error
IDENTIFYING: frozenset[Role] = frozenset({Role.id_number, Role.name, Role.uscc, Role.org_name, Role.org_code})


#: the roles that say whose record it is, per registry: a condition (``when``) on one of them
#: decides which rows take part in that registry
SUBJECT_ROLES: dict[EntityKind, tuple[Role, ...]] = {
    EntityKind.person: (Role.id_number, Role.name),
    EntityKind.legal_entity: (Role.uscc, Role.org_code, Role.org_name),
}


def _code_value(value: object) -> object:
    """A condition's value must be written as text: YAML reads ``01`` as the number 1."""
    if isinstance(value, bool) or isinstance(value, int | float):
        raise ValueError(
            f"条件值 {value!r} 须写成带引号的文字（YAML 把 01 读作数字 1）/ write the value {value!r} "
            f"as quoted text ('01'): YAML reads 01 as the number 1"
        )
    return value


#: the values of a condition field that make a role hold (compared trimmed, exactly)
ConditionValues = Annotated[
    list[Annotated[str, BeforeValidator(_code_value), Field(min_length=1)]], Field(min_length=1)
]
#: condition field -> its values; every field must have one of its values
Condition = Annotated[dict[Annotated[str, Field(min_length=1)], ConditionValues], Field(min_length=1)]


class RegistrySpec(BaseModel):
    """The ``registry:`` section of a resource: what the standards cannot say about its fields.

    Proposed for :class:`~shuzhi.catalog.spec.ResourceSpec` as
    ``registry: RegistrySpec | None = None``. Every key is optional.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    #: the registry the resource's records feed; None: from its fields (a ``uscc`` or
    #: ``org_code`` field → legal entities, else persons)
    entity: EntityKind | None = None
    #: role -> field name, over what the standards say (``{birth_date: csrq}``)
    roles: dict[Role, Annotated[str, Field(min_length=1)]] = {}
    #: role -> {condition field: [values]}: the role holds only on the rows where the condition
    #: field has one of the values (``{id_number: {zjlx: [居民身份证]}, uscc: {zjlx: [统一社会信用代码]}}``
    #: for one ID column whose meaning a type column gives). A condition on a registry's subject
    #: role (``id_number``/``name``; ``uscc``/``org_code``/``org_name``) also picks the rows that
    #: take part in that registry: those where one of its conditional subject roles holds
    when: dict[Role, Condition] = {}
    #: fields never used for any role (e.g. a guardian's ID number)
    ignore: list[str] = []
    #: survivorship: the resource with the highest priority gives a person's name, ID, birth date
    #: and sex (e.g. 10 for 公安户籍); ties go to the most recent record. Default: 10 for a base
    #: resource (``kind: base``, 基础信息资源), else 0
    priority: int | None = None
    #: False keeps the resource out of the registries
    include: bool = True
