"""Demo structure of the two demo universities: real faculty and kafedra names, buildings, rooms."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from hemis.structure.models import AuditoriumType, StructureType
from hemis.structure.service import AuditoriumService, BuildingService, DepartmentService

# (code, uz, ru, en, [kafedra (code, uz, ru)])
Faculty = tuple[str, str, str, str, list[tuple[str, str, str]]]

FACULTIES: dict[str, list[Faculty]] = {
    "tatu": [
        (
            "KI",
            "Kompyuter injiniringi fakulteti",
            "Факультет компьютерного инжиниринга",
            "Faculty of Computer Engineering",
            [
                ("KT", "Kompyuter tizimlari kafedrasi", "Кафедра компьютерных систем"),
                ("AT", "Axborot texnologiyalari kafedrasi", "Кафедра информационных технологий"),
            ],
        ),
        (
            "DI",
            "Dasturiy injiniring fakulteti",
            "Факультет программного инжиниринга",
            "Faculty of Software Engineering",
            [
                ("DIK", "Dasturiy injiniring kafedrasi", "Кафедра программного инжиниринга"),
                ("SI", "Sun'iy intellekt kafedrasi", "Кафедра искусственного интеллекта"),
            ],
        ),
        (
            "KX",
            "Kiberxavfsizlik fakulteti",
            "Факультет кибербезопасности",
            "Faculty of Cybersecurity",
            [
                ("AX", "Axborot xavfsizligi kafedrasi", "Кафедра информационной безопасности"),
                ("KR", "Kriptologiya kafedrasi", "Кафедра криптологии"),
            ],
        ),
        (
            "TT",
            "Telekommunikatsiya texnologiyalari fakulteti",
            "Факультет телекоммуникационных технологий",
            "Faculty of Telecommunication Technologies",
            [
                (
                    "TI",
                    "Telekommunikatsiya injiniringi kafedrasi",
                    "Кафедра телекоммуникационного инжиниринга",
                ),
                ("MA", "Mobil aloqa texnologiyalari kafedrasi", "Кафедра технологий мобильной связи"),
            ],
        ),
    ],
    "samdu": [
        (
            "MF",
            "Matematika fakulteti",
            "Математический факультет",
            "Faculty of Mathematics",
            [
                ("AG", "Algebra va geometriya kafedrasi", "Кафедра алгебры и геометрии"),
                ("MAN", "Matematik analiz kafedrasi", "Кафедра математического анализа"),
            ],
        ),
        (
            "FF",
            "Fizika fakulteti",
            "Физический факультет",
            "Faculty of Physics",
            [
                ("NF", "Nazariy fizika kafedrasi", "Кафедра теоретической физики"),
                ("OF", "Optika kafedrasi", "Кафедра оптики"),
            ],
        ),
        (
            "FIL",
            "Filologiya fakulteti",
            "Филологический факультет",
            "Faculty of Philology",
            [
                ("OT", "O'zbek tilshunosligi kafedrasi", "Кафедра узбекского языкознания"),
                ("OA", "O'zbek adabiyoti kafedrasi", "Кафедра узбекской литературы"),
            ],
        ),
        (
            "TAR",
            "Tarix fakulteti",
            "Исторический факультет",
            "Faculty of History",
            [("OZT", "O'zbekiston tarixi kafedrasi", "Кафедра истории Узбекистана")],
        ),
    ],
}

BUILDINGS: dict[str, list[tuple[str, str]]] = {
    "tatu": [
        ("1-o'quv binosi", "Toshkent sh., Amir Temur shoh ko'chasi, 108"),
        ("2-o'quv binosi", "Toshkent sh., Amir Temur shoh ko'chasi, 108A"),
    ],
    "samdu": [
        ("Bosh bino", "Samarqand sh., Universitet xiyoboni, 15"),
        ("Fizika-matematika binosi", "Samarqand sh., Universitet xiyoboni, 17"),
    ],
}

# (code suffix, name, type, capacity) per building
ROOMS = [
    ("101", "Ma'ruza zali", AuditoriumType.LECTURE, 120),
    ("205", "Seminar xonasi", AuditoriumType.SEMINAR, 30),
    ("310", "Kompyuter sinfi", AuditoriumType.COMPUTER, 24),
    ("412", "Laboratoriya", AuditoriumType.LABORATORY, 18),
]


async def seed_structure(session: AsyncSession, tenant_code: str) -> None:
    """Faculties with their kafedras, buildings and their auditoriums (through the services)."""
    departments = DepartmentService(session, actor="demo")
    for code, uz, ru, en, kafedras in FACULTIES.get(tenant_code, []):
        faculty = await departments.create(
            {"code": code, "name": uz, "name_ru": ru, "name_en": en, "structure_type": StructureType.FACULTY}
        )
        for k_code, k_uz, k_ru in kafedras:
            await departments.create(
                {
                    "code": k_code,
                    "name": k_uz,
                    "name_ru": k_ru,
                    "structure_type": StructureType.KAFEDRA,
                    "parent_id": faculty.id,
                }
            )
    buildings, rooms = BuildingService(session, actor="demo"), AuditoriumService(session, actor="demo")
    for number, (name, address) in enumerate(BUILDINGS.get(tenant_code, []), start=1):
        building = await buildings.create({"name": name, "address": address})
        for suffix, room, kind, capacity in ROOMS:
            await rooms.create(
                {
                    "code": f"{number}-{suffix}",
                    "name": room,
                    "building_id": building.id,
                    "auditorium_type": kind,
                    "capacity": capacity,
                }
            )
