"""Load the demo market: categories, ~300 providers, members and staff with known logins."""

import random

import sqlalchemy as sa
from faker import Faker
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace import auth
from marketplace.domain.roles import MemberGroup, Role
from marketplace.models import Category, ProviderCategory, ProviderProfile, User
from marketplace.services.markets import ensure_market
from marketplace.settings import Settings
from marketplace.standalone import unit_of_work

from .campaigns import load_campaign
from .categories import CONFIDENTIAL, DOMAINS
from .history import load_history
from .stations import load_stations

DEMO_PASSWORD = "demo1234"
DEMO_LOGINS = {
    "curator": ("13800000001", DEMO_PASSWORD),
    "operator": ("13800000002", DEMO_PASSWORD),
    "provider": ("13800000003", DEMO_PASSWORD),
    "member": ("13800000004", DEMO_PASSWORD),
    "keeper": ("13800000005", DEMO_PASSWORD),  # 站长 of two stations (seeds/stations.py)
}
PROVIDERS = 300
MEMBERS = 400
HONOURS = [
    "全国劳动模范",
    "全国五一劳动奖章",
    "广东省劳动模范",
    "广东省五一劳动奖章",
    "深圳市劳动模范",
    "深圳工匠",
    "南山工匠",
    "全国技术能手",
    "南粤工匠",
]
AREAS = ["南头街道", "南山街道", "沙河街道", "蛇口街道", "招商街道", "粤海街道", "桃源街道", "西丽街道"]


async def _seed_categories(db: AsyncSession, market_id: int) -> dict[str, tuple[int, list[str]]]:
    """slug -> (category id, skills); roots have the union of their children's skills."""
    found: dict[str, tuple[int, list[str]]] = {}
    for position, (slug, zh, en, children) in enumerate(DOMAINS):
        root_id = await _upsert_category(db, market_id, slug, zh, en, None, position)
        all_skills: list[str] = []
        for child_position, (child_slug, child_zh, child_en, skills) in enumerate(children):
            child_id = await _upsert_category(db, market_id, child_slug, child_zh, child_en, root_id, child_position)
            found[child_slug] = (child_id, skills)
            all_skills += skills
        found[slug] = (root_id, all_skills)
    return found


async def _upsert_category(db, market_id, slug, zh, en, parent_id, position) -> int:
    await db.execute(
        insert(Category)
        .values(
            market_id=market_id,
            slug=slug,
            name_zh=zh,
            name_en=en,
            parent_id=parent_id,
            position=position,
            confidential=slug in CONFIDENTIAL,
        )
        .on_conflict_do_nothing(index_elements=["market_id", "slug"])
    )
    return (
        await db.execute(sa.select(Category.id).where(Category.market_id == market_id, Category.slug == slug))
    ).scalar_one()


async def _insert_users(db: AsyncSession, rows: list[dict]) -> dict[str, int]:
    """phone -> id; one statement for all (a first `up` should not wait on hundreds of round trips)."""
    await db.execute(insert(User).values(rows).on_conflict_do_nothing(index_elements=["phone"]))
    phones = [row["phone"] for row in rows]
    return dict((await db.execute(sa.select(User.phone, User.id).where(User.phone.in_(phones)))).all())


async def _seed_people(db: AsyncSession, settings: Settings, market_id: int, categories) -> dict[str, int]:
    fake = Faker("zh_CN")
    Faker.seed(2026)
    rng = random.Random(2026)
    # One hash for every demo account: hashing 700 passwords would make the first start slow.
    password_hash = auth.hash_password(settings, DEMO_PASSWORD)

    def person(phone, name, roles, groups=()):
        return {
            "market_id": market_id,
            "phone": phone,
            "name": name,
            "password_hash": password_hash,
            "roles": sorted(roles),
            "groups": list(groups),
        }

    staff_rows = [
        person(DEMO_LOGINS["curator"][0], "李主任", [Role.member, Role.curator]),
        person(DEMO_LOGINS["operator"][0], "王志愿", [Role.member, Role.operator]),
        person(DEMO_LOGINS["member"][0], "张小快", [Role.member], [MemberGroup.new_employment, MemberGroup.parent]),
        person(DEMO_LOGINS["keeper"][0], "赵站长", [Role.member, Role.keeper]),
    ]
    provider_rows = [
        person(
            DEMO_LOGINS["provider"][0] if n == 0 else f"139{n:08d}",
            "陈匠心" if n == 0 else fake.name(),
            [Role.member, Role.provider],
        )
        for n in range(PROVIDERS)
    ]
    groups = list(MemberGroup)
    member_rows = [
        person(f"137{n:08d}", fake.name(), [Role.member], rng.sample(groups, k=rng.choice([0, 1, 1, 2])))
        for n in range(MEMBERS)
    ]
    ids = await _insert_users(db, staff_rows + provider_rows + member_rows)
    leaf_slugs = [slug for _, _, _, children in DOMAINS for slug, _, _, _ in children]
    profiles, serving = [], []
    for row in provider_rows:
        user_id = ids[row["phone"]]
        own = rng.sample(leaf_slugs, k=rng.choice([1, 1, 2, 2, 3]))
        skills = sorted({s for slug in own for s in rng.sample(categories[slug][1], k=2)})
        honours = rng.sample(HONOURS, k=rng.choice([1, 1, 2]))
        profiles.append(
            {
                "user_id": user_id,
                "bio": f"{honours[0]}，从事{'、'.join(skills[:2])}工作{rng.randint(5, 30)}年，乐于为职工服务。",
                "honours": honours,
                "skills": skills,
                "area": rng.choice(AREAS),
                "online": rng.random() < 0.6,
                "capacity": rng.choice([3, 5, 5, 8]),
                "availability": [
                    {"weekday": d, "start": rng.choice(["09:00", "14:00", "19:00"]), "end": "21:00"}
                    for d in sorted(rng.sample(range(7), k=rng.randint(2, 5)))
                ],
            }
        )
        serving += [{"provider_id": user_id, "category_id": categories[slug][0]} for slug in own]
    await db.execute(insert(ProviderProfile).values(profiles).on_conflict_do_nothing(index_elements=["user_id"]))
    await db.execute(insert(ProviderCategory).values(serving).on_conflict_do_nothing())
    return {"providers": len(provider_rows)}


async def load_demo_data(settings: Settings) -> dict:
    loaded = await _load_market(settings)
    # the example needs questionnaire (seeds/survey.py), imported as the demo curator: the needs list and
    # the supply gaps are full on a fresh start; the same file again adds nothing
    from marketplace.standalone import import_survey

    from .survey import csv_bytes

    imported = await import_survey(settings, csv_bytes(), "需求调研示例.csv", DEMO_LOGINS["curator"][0])
    # the union's real-name roster (seeds/roster.py): most demo members are verified by it
    from marketplace.standalone import import_roster

    from .roster import roster_bytes

    async with unit_of_work(settings) as db:
        market_id = await ensure_market(db, settings.default_market)
        content = await roster_bytes(db, market_id, DEMO_LOGINS["member"][0])
    roster = await import_roster(settings, content, "会员名册示例.csv", DEMO_LOGINS["curator"][0])
    return {**loaded, "survey rows": imported["imported"], "survey bad rows": imported["bad rows"], **roster}


async def _load_market(settings: Settings) -> dict:
    async with unit_of_work(settings) as db:
        market_id = await ensure_market(
            db, settings.default_market, "南山区总工会劳模工匠云集市", "Nanshan Union Cloud Market"
        )
        already = (await db.execute(sa.select(User.id).where(User.phone == DEMO_LOGINS["curator"][0]))).first()
        if already:
            return {
                "loaded": False,
                "reason": "demo data already present",
                **await load_history(db, market_id, DEMO_LOGINS["provider"][0]),
                **await load_stations(db, market_id, DEMO_LOGINS["keeper"][0]),
                **await load_campaign(db, market_id),
            }
        categories = await _seed_categories(db, market_id)
        people = await _seed_people(db, settings, market_id, categories)
        history = await load_history(db, market_id, DEMO_LOGINS["provider"][0])
        return {
            **history,
            **await load_stations(db, market_id, DEMO_LOGINS["keeper"][0]),
            **await load_campaign(db, market_id),
            "loaded": True,
            "categories": len(categories),
            "providers": people["providers"],
            "members": MEMBERS + 1,
        }
