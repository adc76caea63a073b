"""Demo tenants: the ministry and two real universities, with their public profiles."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from hemis.config import Settings
from hemis.finance.demo import seed_finance
from hemis.platform import create_tenant, setup_platform, tenant_codes
from hemis.portal.demo import seed_portal_accounts
from hemis.rollups.worker import RollupWorker
from hemis.structure.demo import seed_structure
from hemis.term_demo import TermSize, seed_term
from tenants.context import TenantKind
from tenants.provision import TenantSpec
from tenants.session import make_sessionmaker, tenant_session


@dataclass(frozen=True)
class DemoTenant:
    spec: TenantSpec
    profile: dict[str, str] = field(default_factory=dict)


DEMO_TENANTS = (
    DemoTenant(
        TenantSpec(
            code="national",
            kind=TenantKind.NATIONAL,
            name_uz="O'zbekiston Respublikasi Oliy ta'lim, fan va innovatsiyalar vazirligi",
            name_oz="Ўзбекистон Республикаси Олий таълим, фан ва инновациялар вазирлиги",
            name_ru="Министерство высшего образования, науки и инноваций Республики Узбекистан",
            name_en="Ministry of Higher Education, Science and Innovation of the Republic of Uzbekistan",
        ),
        {
            "short_name": "OTFIV",
            "region_code": "1726",
            "website": "https://edu.uz",
            "address": "Toshkent sh., Universitet ko'chasi, 7",
        },
    ),
    DemoTenant(
        TenantSpec(
            code="tatu",
            name_uz="Muhammad al-Xorazmiy nomidagi Toshkent axborot texnologiyalari universiteti",
            name_oz="Муҳаммад ал-Хоразмий номидаги Тошкент ахборот технологиялари университети",
            name_ru="Ташкентский университет информационных технологий имени Мухаммада аль-Хорезми",
            name_en="Tashkent University of Information Technologies named after Muhammad al-Khwarizmi",
        ),
        {
            "short_name": "TATU",
            "region_code": "1726",
            "website": "https://tuit.uz",
            "address": "Toshkent sh., Amir Temur shoh ko'chasi, 108",
            "phone": "+998712386400",
        },
    ),
    DemoTenant(
        TenantSpec(
            code="samdu",
            name_uz="Sharof Rashidov nomidagi Samarqand davlat universiteti",
            name_oz="Шароф Рашидов номидаги Самарқанд давлат университети",
            name_ru="Самаркандский государственный университет имени Шарофа Рашидова",
            name_en="Samarkand State University named after Sharof Rashidov",
        ),
        {
            "short_name": "SamDU",
            "region_code": "1718",
            "website": "https://samdu.uz",
            "address": "Samarqand sh., Universitet xiyoboni, 15",
            "phone": "+998662393011",
        },
    ),
)


async def install_demo(
    engine: AsyncEngine, settings: Settings, size: TermSize | None = None
) -> tuple[list[str], list[str]]:
    """Set up the platform and create the demo tenants that do not exist yet, each university
    with its structure, a running term (hemis.term_demo) with its timetable, its contracts
    (hemis.finance.demo) and the portal's demo accounts (hemis.portal.demo), then the national
    roll-ups of them all.

    Returns (codes created now, codes that were already there).
    """
    await setup_platform(engine, settings)
    existing = set(await tenant_codes(engine))
    created = []
    maker = make_sessionmaker(engine, settings.tenancy.role_prefix)
    for demo in DEMO_TENANTS:
        if demo.spec.code not in existing:
            ref = await create_tenant(engine, settings, demo.spec, **demo.profile)
            # Demo content goes through the services, as the tenant's role, like any user's data.
            async with tenant_session(maker, ref) as session:
                await seed_structure(session, ref.code)
                if ref.kind is TenantKind.UNIVERSITY:
                    await seed_term(session, seed=sum(map(ord, ref.code)), size=size)
                    await seed_finance(session, seed=sum(map(ord, ref.code)))
                    await seed_portal_accounts(session)
                await session.commit()
            created.append(demo.spec.code)
    if created:
        # The ministry's dashboards start with figures (the worker keeps them current afterwards).
        await RollupWorker(engine, settings.tenancy.role_prefix).recompute()
    return created, sorted(existing)
