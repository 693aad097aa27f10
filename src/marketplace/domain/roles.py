"""Who a person can be in a market (domain.md, "People and roles")."""

from enum import StrEnum


class Role(StrEnum):
    member = "member"  # 职工会员: browses, orders, signs off, reviews
    provider = "provider"  # 劳模工匠: lists services, accepts, delivers
    operator = "operator"  # 志愿者服务队: runs the market day to day
    curator = "curator"  # 区总工会: curates the menu, accounts and figures
    keeper = "keeper"  # 站长: keeps one or more union stations (their hours, photos, notice), given by a curator


STAFF = frozenset({Role.operator, Role.curator})
# Roles that come with an assignment, not from the roles a curator ticks: a keeper keeps while they keep a station.
ASSIGNED = frozenset({Role.keeper})


class MemberGroup(StrEnum):
    """Groups a listing may target; a member declares the ones they belong to."""

    new_employment = "new_employment"  # 新就业形态劳动者 (couriers, riders, drivers)
    migrant = "migrant"  # 外来务工人员
    parent = "parent"  # 双职工家庭 / parents
    youth = "youth"  # 青年职工
    women = "women"  # 女职工
    retiree = "retiree"  # 退休职工
    hardship = "hardship"  # 困难职工 (members in hardship; a priority group for scarce seats)
