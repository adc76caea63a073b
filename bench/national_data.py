"""The national dataset (issue 7): 225 universities, 1.45 million students, ~40 marks each.

    uv run python -m bench.national_data [--tenants 225] [--students 1450000] [--marks 40]
                                         [--parallel 2] [--seed 1] [--today 2026-12-01] [--reuse]

Builds, in the private database of `bench.common.bench_database("national")`, the platform,
the ministry (`national`, as hemis.demo makes it) and universities u001…u225, each with its
profile (h_soato region: Tashkent city has the most; a realistic name) and one running
term: faculties and kafedras, bachelor's and master's specialties, full curricula (all
semesters: mandatory subjects with credits adding up to 30 a semester, hours, JN/ON/YN maxima
adding up to 100, an elective block from semester 3), groups by course, form of study and
language, students, teachers with degrees and ranks, teaching assignments (the teacher's
e-course link for a university-dependent 30–95 % of teachers), the previous semester's marks
(JN, ON, YN and retakes of the debtors), the running semester's JN/ON, absences (some
excused), and the academic year's tuition contracts with their schedules and insert-only
ledger (charges, a few discounts, payments through payme/stripe or bank/cash by a
university-dependent electronic share, some debtors).

Distributions: university sizes are skewed (a few of 25–35k students, many of 2–6k; the
total is exactly --students); courses shrink from the first year on, ~9 % master's students;
mostly full-time with some part-time, evening, distance and second-degree groups; ~70 %
contract / 30 % state grant (private universities all contract); gender by field (pedagogy
and philology mostly women, engineering mostly men); ~1.5 % foreign citizens; the home region
mostly the university's own; status mostly studying, ~2 % academic leave, ~2.5 % expelled,
and last June's graduates. Ability is per student around a university mean, so average
points vary by university from about 60 to 85 and a few per cent of the previous semester's
subjects stay debts after retakes. PINFLs are well formed (hemis.term_demo.pinfl_for) and
globally unique, except on purpose: ~0.05 % of persons study at two universities at once
(dual enrolment) and ~0.1 % moved from one university to another (expelled by transfer at
the first, studying at the second) — what the national student registry must find.
Marks per student: first-years have only the running semester (in autumn), everyone else the
previous semester too; the subjects per semester are chosen so the mean is about --marks.

How it loads: every university is provisioned by `hemis.platform.create_tenant` (the real
path), then filled in ONE transaction of its own with COPY (asyncpg
`copy_records_to_table`), in --parallel worker processes, largest universities first. The
load runs as the superuser owner with `session_replication_role = replica`, which skips
triggers and foreign-key checks: in particular the grade history trigger does not run, so
`grade_event` stays empty (`hemis grades verify` reports these marks as having no history)
and no audit rows are written. Ids are explicit per tenant and the identity sequences are set
after the load, so the app can insert next to the data. Each tenant is VACUUM ANALYZEd after
its commit (hint bits and visibility map set, as in a settled database; autovacuum may be off).

--reuse: a completed build records its parameters, the generator's version and the role
prefix in `bench_meta.national_dataset`, written last; with --reuse a database holding a
complete dataset of the same parameters is kept (the shared tree and tenants are migrated to
head if the code moved on) and the build is skipped. Without --reuse it is rebuilt.

Other benches: `await national_dataset(NationalParams(...), reuse=True)` returns the settings
(database URL and role prefix) and the tenant codes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import bisect
import gc
import hashlib
import itertools
import json
import multiprocessing
import random
import struct
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.common import bench_database
from hemis.config import Settings
from hemis.demo import DEMO_TENANTS
from hemis.finance.demo import QUARTERS
from hemis.finance.fees import plan_parts
from hemis.finance.rules import (
    Instalment,
    academic_year_of,
    contract_number,
    due_by,
    instalments,
    round_to_som,
)
from hemis.platform import create_tenant, setup_platform
from hemis.staff.models import EmploymentForm, Position
from hemis.term_demo import SUBJECTS, academic_year, person, pinfl_for, running_semester
from tenants import naming
from tenants.context import TenantKind
from tenants.database import async_url, owner_engine
from tenants.migrate import migrate_tenants, tenant_head
from tenants.provision import TenantSpec
from tenants.testing import TestDatabase, recreate_database

GENERATOR_VERSION = 1  # bump when what the generator writes changes: --reuse then rebuilds
TODAY = date(2026, 12, 1)
ACTOR = "bench:national"
DUAL_SHARE, TRANSFER_SHARE = 0.0005, 0.001  # of persons: at two universities at once / moved
SHARED_BLOCK = 999  # PINFL serial block of the persons generated centrally (dual, transfers)

# h_soato region → (city in names uz/ru/en, population in millions, weight among universities).
REGIONS: dict[str, tuple[str, str, str, float, int]] = {
    "1726": ("Toshkent", "Ташкент", "Tashkent", 3.0, 90),
    "1727": ("Chirchiq", "Чирчик", "Chirchiq", 3.0, 8),
    "1703": ("Andijon", "Андижан", "Andijan", 3.4, 10),
    "1706": ("Buxoro", "Бухара", "Bukhara", 2.0, 10),
    "1708": ("Jizzax", "Джизак", "Jizzakh", 1.5, 7),
    "1710": ("Qarshi", "Карши", "Karshi", 3.5, 9),
    "1712": ("Navoiy", "Навои", "Navoi", 1.1, 7),
    "1714": ("Namangan", "Наманган", "Namangan", 3.0, 10),
    "1718": ("Samarqand", "Самарканд", "Samarkand", 4.2, 15),
    "1722": ("Termiz", "Термез", "Termez", 2.9, 9),
    "1724": ("Guliston", "Гулистан", "Gulistan", 0.9, 5),
    "1730": ("Farg'ona", "Фергана", "Fergana", 4.0, 12),
    "1733": ("Urganch", "Ургенч", "Urgench", 1.9, 8),
    "1735": ("Nukus", "Нукус", "Nukus", 2.0, 9),
}
REGION_CODES = tuple(REGIONS)
POPULATION_CUM = tuple(itertools.accumulate(r[3] for r in REGIONS.values()))


@dataclass(frozen=True, slots=True)
class Field:
    key: str
    faculty: str  # "<faculty> fakulteti"
    code: str  # bachelor's specialty (national classifier style); master's: 7…
    specialty: str
    female: float  # share of women among its students
    stems: tuple[str, ...]  # its own subjects


FIELDS = (
    Field("it", "Axborot texnologiyalari", "60610500", "Dasturiy injiniring", 0.28, SUBJECTS[:12]),
    Field("ped", "Pedagogika", "60110100", "Pedagogika va psixologiya", 0.74, (
        "Pedagogika nazariyasi", "Psixologiya", "Ta'lim metodikasi", "Boshlang'ich ta'lim", "Maktabgacha ta'lim",
        "Inklyuziv ta'lim", "Pedagogik mahorat", "Tarbiya nazariyasi")),
    Field("phil", "Filologiya", "60230100", "Filologiya va tillarni o'qitish", 0.76, (
        "O'zbek tili", "Adabiyotshunoslik", "Tilshunoslik nazariyasi", "Ingliz tili amaliyoti",
        "Tarjima nazariyasi", "Jahon adabiyoti", "Stilistika", "Fonetika")),
    Field("eco", "Iqtisodiyot", "60410100", "Iqtisodiyot", 0.48, (
        "Mikroiqtisodiyot", "Makroiqtisodiyot", "Buxgalteriya hisobi", "Moliya", "Marketing", "Menejment",
        "Soliqlar va soliqqa tortish", "Statistika")),
    Field("eng", "Muhandislik", "60710100", "Mashinasozlik texnologiyasi", 0.17, (
        "Chizma geometriya", "Materiallar qarshiligi", "Nazariy mexanika", "Elektrotexnika", "Termodinamika",
        "Mashinasozlik texnologiyasi", "Metrologiya va standartlashtirish", "Avtomatlashtirish asoslari")),
    Field("med", "Davolash ishi", "60910200", "Davolash ishi", 0.62, (
        "Anatomiya", "Fiziologiya", "Biokimyo", "Farmakologiya", "Patologik anatomiya", "Ichki kasalliklar",
        "Jarrohlik", "Pediatriya")),
    Field("agr", "Agronomiya", "60810100", "Agronomiya", 0.31, (
        "O'simlikshunoslik", "Tuproqshunoslik", "Zootexniya", "Qishloq xo'jaligi mashinalari", "Melioratsiya",
        "Veterinariya asoslari", "Agrokimyo", "Dehqonchilik")),
    Field("law", "Huquqshunoslik", "60420100", "Yurisprudensiya", 0.41, (
        "Davlat va huquq nazariyasi", "Konstitutsiyaviy huquq", "Fuqarolik huquqi", "Jinoyat huquqi",
        "Ma'muriy huquq", "Xalqaro huquq", "Mehnat huquqi", "Jinoyat protsessi")),
    Field("nat", "Tabiiy fanlar", "60510100", "Biologiya", 0.64, (
        "Umumiy kimyo", "Organik kimyo", "Botanika", "Zoologiya", "Genetika", "Mikrobiologiya", "Biofizika",
        "Analitik kimyo")),
    Field("math", "Fizika-matematika", "60540100", "Matematika", 0.46, (
        "Matematik analiz", "Differensial tenglamalar", "Umumiy fizika", "Nazariy fizika", "Sonli usullar",
        "Geometriya", "Funksional analiz", "Kompleks analiz")),
    Field("arch", "Arxitektura va qurilish", "60730100", "Arxitektura", 0.33, (
        "Arxitektura loyihalash", "Qurilish materiallari", "Qurilish mexanikasi", "Temir-beton konstruksiyalar",
        "Geodeziya", "Shaharsozlik", "Arxitektura tarixi", "Muhandislik grafikasi")),
    Field("tour", "Turizm va servis", "61010100", "Turizm", 0.56, (
        "Turizm asoslari", "Mehmonxona xo'jaligi", "Xizmat ko'rsatish menejmenti", "Ekskursiyashunoslik",
        "Turizm marketingi", "Restoran biznesi", "Madaniy meros", "Transport logistikasi")),
    Field("art", "San'at va madaniyat", "60210100", "Tasviriy san'at", 0.58, (
        "Rangtasvir", "Kompozitsiya", "San'at tarixi", "Musiqa nazariyasi", "Rejissura", "Xoreografiya",
        "Dizayn asoslari", "Haykaltaroshlik")),
    Field("sport", "Jismoniy madaniyat", "61010400", "Jismoniy madaniyat", 0.27, (
        "Sport nazariyasi", "Sport fiziologiyasi", "Yengil atletika", "Sport o'yinlari", "Gimnastika",
        "Sport pedagogikasi", "Kurash", "Suzish")),
)  # fmt: skip
FIELD_BY_KEY = {f.key: f for f in FIELDS}
COMMON_SUBJECTS = (
    "O'zbekiston tarixi", "Falsafa", "Xorijiy til", "O'zbek tili", "Jismoniy tarbiya", "Axborot texnologiyalari",
    "Huquqshunoslik asoslari", "Ekologiya", "Iqtisodiyot nazariyasi", "Dinshunoslik",
)  # fmt: skip
PROFESSIONAL_SUBJECTS = (
    "Kurs ishi", "Malakaviy amaliyot", "Ilmiy tadqiqot asoslari", "Kasbiy etika", "Loyiha boshqaruvi",
    "Raqamli texnologiyalar", "Kasbiy xorijiy til", "Tadbirkorlik asoslari",
)  # fmt: skip
ELECTIVE_SUBJECTS = (
    "Liderlik", "Kreativ fikrlash", "Notiqlik san'ati", "Media savodxonlik", "Ilmiy yozuv", "Startap asoslari",
    "Ma'lumotlar tahlili", "Psixologik treninglar", "Ekologik madaniyat", "Moliyaviy savodxonlik",
)  # fmt: skip
# (uz, ru, en) of a state university's kind, with the field of its first faculty (None: any).
KINDS = (
    ("davlat universiteti", "Государственный университет", "State University", None),
    ("davlat pedagogika instituti", "Государственный педагогический институт", "State Pedagogical Institute", "ped"),
    ("davlat tibbiyot instituti", "Государственный медицинский институт", "State Medical Institute", "med"),
    ("muhandislik-iqtisodiyot instituti", "Инженерно-экономический институт", "Institute of Engineering and Economics", "eng"),
    ("davlat texnika universiteti", "Государственный технический университет", "State Technical University", "eng"),
    ("iqtisodiyot universiteti", "Экономический университет", "University of Economics", "eco"),
    ("agrotexnologiyalar instituti", "Институт агротехнологий", "Institute of Agrotechnologies", "agr"),
    ("axborot texnologiyalari universiteti", "Университет информационных технологий", "University of Information Technologies", "it"),
    ("davlat chet tillari instituti", "Государственный институт иностранных языков", "State Institute of Foreign Languages", "phil"),
    ("arxitektura-qurilish instituti", "Архитектурно-строительный институт", "Institute of Architecture and Civil Engineering", "arch"),
    ("davlat san'at va madaniyat instituti", "Государственный институт искусств и культуры", "State Institute of Arts and Culture", "art"),
    ("jismoniy tarbiya va sport universiteti", "Университет физической культуры и спорта", "University of Physical Education and Sport", "sport"),
    ("davlat yuridik universiteti", "Государственный юридический университет", "State University of Law", "law"),
    ("kimyo-texnologiya instituti", "Химико-технологический институт", "Institute of Chemical Technology", "nat"),
    ("xalqaro turizm universiteti", "Международный университет туризма", "International University of Tourism", "tour"),
    ("davlat universiteti fizika-matematika instituti", "Физико-математический институт государственного университета", "Institute of Physics and Mathematics", "math"),
)  # fmt: skip
PRIVATE_BRANDS = (
    "Millat Umidi", "Kimyo xalqaro", "Alfraganus", "Perfect", "TEAM", "Osiyo xalqaro", "Renessans", "Yangi asr",
    "Ma'mun", "Zarmed", "Inha", "Vebster", "Yeoju", "Turin politexnika", "Westminster xalqaro", "Amity",
    "Sharda", "Akfa", "Central Asian", "Oriental", "Nordik xalqaro", "Ipak yo'li", "Profi", "Innovatsion",
    "Xalqaro Osiyo", "Diplomat", "Mamun xalqaro", "Iqtisodiyot va pedagogika", "Buxoro xalqaro", "Tibbiyot xalqaro",
)  # fmt: skip
# Forms of study (h_education_form) and their national weights among bachelor's students.
FULL_TIME, EVENING, PART_TIME, SECOND_DEGREE, DISTANCE = "11", "12", "13", "15", "16"
FORM_WEIGHTS = {FULL_TIME: 0.72, PART_TIME: 0.18, EVENING: 0.04, SECOND_DEGREE: 0.04, DISTANCE: 0.02}
BACHELOR, MASTER = "11", "12"  # h_education_type
STUDYING, EXPELLED, LEAVE, GRADUATED = "11", "12", "13", "14"  # h_student_status
STATE_GRANT, CONTRACT = "11", "12"  # h_payment_form
CITIZEN, FOREIGN, STATELESS = "11", "12", "13"  # h_citizenship_type
CREDIT_SYSTEM, RATING_SYSTEM = "13", "11"  # h_marking_system
LECTURE, LABORATORY, PRACTICE = "11", "12", "13"  # h_training_type
MAXIMA = ((30, 20, 50), (40, 20, 40), (35, 15, 50))  # JN/ON/YN maxima a university uses
DEC = tuple(Decimal(i) for i in range(101))  # points as asyncpg takes numerics, built once
MISSED = (0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 4)  # lessons of a subject a student missed so far, before scaling


# --- parameters and the national plan -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NationalParams:
    tenants: int = 225
    students: int = 1_450_000
    marks: int = 40
    seed: int = 1
    today: date = TODAY

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "today": self.today.isoformat(), "generator": GENERATOR_VERSION}


@dataclass(frozen=True, slots=True)
class SharedPerson:
    """Someone enrolled at two universities: at both at once (dual), or moved from one to another."""

    pinfl: str
    last_name: str
    first_name: str
    patronymic: str
    birth: date
    male: bool
    region: str
    role: str  # "dual" (studying), "transfer_out" (expelled by transfer), "transfer_in" (studying)


@dataclass(slots=True)
class UniversityPlan:
    number: int
    code: str
    region: str
    name_uz: str
    name_ru: str
    name_en: str
    short_name: str
    private: bool
    primary_field: str | None
    size: int
    seed: int
    shared: list[SharedPerson] = field(default_factory=list)


@dataclass(frozen=True)
class NationalDataset:
    """What other benches need: where the data is and which universities it holds."""

    settings: Settings
    codes: tuple[str, ...]  # the universities; the ministry is NATIONAL_CODE
    params: NationalParams
    counts: dict[str, int]
    reused: bool

    @property
    def url(self) -> str:
        return self.settings.db.url


NATIONAL_CODE = "national"


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split by `weights` into whole numbers that add up exactly (largest remainder)."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    rest = sorted(range(len(weights)), key=lambda i: counts[i] - shares[i])[: total - sum(counts)]
    for i in rest:
        counts[i] += 1
    return counts


def university_sizes(rng: random.Random, tenants: int, students: int) -> list[int]:
    """Skewed sizes adding up to exactly `students`: many of 2–6k, a few of 25–35k at full scale."""
    cap = max(35_000, -(-students // tenants))
    sizes = _apportion(students, [min(12.0, rng.lognormvariate(0, 0.75)) for _ in range(tenants)])
    for _ in range(20):  # move what lies above the cap to the others, by their size
        excess = sum(max(0, s - cap) for s in sizes)
        if not excess:
            break
        sizes = [min(s, cap) for s in sizes]
        extra = _apportion(excess, [s if s < cap else 0 for s in sizes])
        sizes = [s + e for s, e in zip(sizes, extra, strict=True)]
    return sizes


def plan_universities(params: NationalParams) -> list[UniversityPlan]:
    """Who the universities are, where, how big, and which persons they share (deterministic)."""
    if not 1 <= params.tenants < SHARED_BLOCK:
        raise ValueError(f"--tenants must lie in 1..{SHARED_BLOCK - 1}")
    rng = random.Random(params.seed)
    regions = [
        code
        for code, n in zip(
            REGION_CODES, _apportion(params.tenants, [r[4] for r in REGIONS.values()]), strict=True
        )
        for _ in range(n)
    ]
    sizes = sorted(university_sizes(rng, params.tenants, params.students), reverse=True)
    plans: list[UniversityPlan] = []
    in_region: dict[str, int] = {}
    brands = list(PRIVATE_BRANDS)
    rng.shuffle(brands)
    kinds = list(range(1, len(KINDS)))
    order = list(range(params.tenants))
    rng.shuffle(order)
    # Each region's flagship (its first university: "<city> davlat universiteti") is among the
    # largest; the rest of the sizes are dealt at random.
    flagships: dict[str, int] = {}
    for index in order:
        flagships.setdefault(regions[index], index)
    big, rest = sizes[: len(flagships)], sizes[len(flagships) :]
    rng.shuffle(big)
    rng.shuffle(rest)
    for number, region in enumerate(regions, start=1):
        nth = in_region.get(region, 0)
        in_region[region] = nth + 1
        uz, ru, en = REGIONS[region][:3]
        private = False
        kind: tuple[str, str, str, str | None]
        flagship = flagships[region] == number - 1
        if flagship:
            kind = KINDS[0]
        elif region == "1726" and nth % 2 == 0 and brands:
            kind, private = ("", "", "", None), True
        else:
            kind = KINDS[kinds[(nth + number) % len(kinds)]]
        if private:
            brand = brands.pop()
            name = (f"{brand} universiteti", f"Университет «{brand}»", f"{brand} University")
        else:
            name = (f"{uz} {kind[0]}", f"{kind[1]} (г. {ru})", f"{en} {kind[2]}")
        plans.append(
            UniversityPlan(
                number=number,
                code=f"u{number:03d}",
                region=region,
                name_uz=name[0],
                name_ru=name[1],
                name_en=name[2],
                short_name="".join(w[0] for w in name[0].replace("-", " ").split()).upper()[:16],
                private=private,
                primary_field=kind[3] if not private else rng.choice(("it", "eco", "med", "law", "ped")),
                size=big.pop() if flagship else rest.pop(),
                seed=params.seed * 1_000_003 + number,
            )
        )
    names = [p.name_uz for p in plans]
    for plan in plans:  # a kind twice in a city: the later ones are branches
        same = [p for p in plans if p.name_uz == plan.name_uz]
        if names.count(plan.name_uz) > 1 and plan is not same[0]:
            nth = same.index(plan) + 1
            plan.name_uz += f" {nth}-filiali"
            plan.name_ru += f", филиал {nth}"
            plan.name_en += f", branch {nth}"
    _share_persons(rng, params, plans)
    return plans


def _share_persons(rng: random.Random, params: NationalParams, plans: list[UniversityPlan]) -> None:
    """Persons enrolled at two universities: dual enrolment and transfers (a few per thousand)."""
    if len(plans) < 2:
        return
    persons = params.students
    dual = max(2, round(persons * DUAL_SHARE))
    moved = max(2, round(persons * TRANSFER_SHARE))
    weights = list(itertools.accumulate(p.size for p in plans))
    counters: dict[tuple[date, bool], int] = {}
    for n in range(dual + moved):
        first = plans[bisect.bisect_left(weights, rng.random() * weights[-1])]
        second = first
        while second is first:
            second = plans[bisect.bisect_left(weights, rng.random() * weights[-1])]
        male = rng.random() < 0.5
        birth = date(params.today.year - rng.randint(18, 23), rng.randint(1, 12), rng.randint(1, 28))
        serial = counters.get((birth, male), 0)
        counters[(birth, male)] = serial + 1
        assert serial < 1000
        last, first_name, patronymic = person(rng, male)
        pinfl = pinfl_for(birth, male, SHARED_BLOCK * 1000 + serial)
        region = REGION_CODES[bisect.bisect_left(POPULATION_CUM, rng.random() * POPULATION_CUM[-1])]
        roles = ("dual", "dual") if n < dual else ("transfer_out", "transfer_in")
        for plan, role in zip((first, second), roles, strict=True):
            plan.shared.append(SharedPerson(pinfl, last, first_name, patronymic, birth, male, region, role))


def subjects_per_semester(marks: int) -> int:
    """Subjects a semester so a student's marks average about `marks`: first-years in autumn
    have 2 a subject (JN, ON), the others 3 of the previous semester and 2 of the running one."""
    return max(3, min(16, round(marks / 4.1)))


# --- one university ------------------------------------------------------------------------------


@dataclass(slots=True)
class Line:
    id: int
    elective: bool
    maxima: tuple[int, int, int]


@dataclass(slots=True)
class Pupil:
    id: int
    ability: float
    prev: bool  # has marks of the previous semester here
    running: bool  # studies the running semester here
    choices: dict[int, int] = field(default_factory=dict)  # semester → the elective line taken


@dataclass(slots=True)
class Group:
    id: int
    faculty: int  # index into the university's faculties
    lines: dict[int, list[Line]]  # its curriculum's lines by semester
    course: int
    graduated: bool
    specialty: int
    form: str
    pupils: list[Pupil] = field(default_factory=list)


@dataclass(slots=True)
class Enrolment:
    """One student row before it is written (the shared persons are put in place first)."""

    id: int
    number: str
    pinfl: str | None
    last_name: str
    first_name: str
    patronymic: str
    birth: date
    gender: str
    citizenship: str
    passport: str
    phone: str
    group: Group
    payment: str
    status: str
    region: str | None
    admitted: int
    joined: str = "admission"  # or "transfer" (came from another university), "transfer_out"

    def row(self) -> tuple[Any, ...]:
        return (
            self.id, self.number, self.pinfl, self.last_name, self.first_name, self.patronymic, self.birth,
            self.gender, self.citizenship, self.passport, self.phone, self.group.id, self.payment, self.status,
            self.region,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Cohort:
    faculty: int
    edu_type: str
    form: str
    course: int
    graduated: bool
    students: int


class TenantBuilder:
    """All rows of one university: generated in memory (marks streamed) and loaded with COPY."""

    def __init__(self, plan: UniversityPlan, params: NationalParams) -> None:
        self.plan = plan
        self.params = params
        self.rng = rng = random.Random(plan.seed)
        self.today = params.today
        self.year = academic_year(params.today)
        self.now = datetime.combine(params.today, clock(9), UTC)
        self.per_semester = subjects_per_semester(params.marks)
        self.marking = RATING_SYSTEM if rng.random() < 0.3 else CREDIT_SYSTEM
        self.pass_points = 55 if self.marking == RATING_SYSTEM else 60  # the built-in scales
        self.final_attempts = 3 if self.marking == RATING_SYSTEM else 2
        self.maxima = rng.choice(MAXIMA)
        # What differs between universities: results, attendance, e-courses, e-payments, grants …
        self.ability = rng.triangular(0.62, 0.86, 0.75)
        self.attendance = rng.uniform(0.6, 1.5)  # × the usual number of absences
        self.e_course_share = rng.uniform(0.30, 0.95)
        self.electronic_share = rng.uniform(0.35, 0.92)
        self.grant_share = rng.uniform(0.0, 0.06) if plan.private else rng.uniform(0.18, 0.42)
        self.master_share = rng.uniform(0.03, 0.15)
        self.foreign_share = rng.uniform(0.004, 0.05) if plan.region == "1726" else rng.uniform(0.0, 0.02)
        self.own_region = 0.35 if plan.region == "1726" else rng.uniform(0.6, 0.85)
        self.teacher_ratio = rng.uniform(13, 22)  # students per teacher
        self.degree_share = rng.uniform(0.25, 0.6)
        self.female_shift = rng.uniform(-0.05, 0.05)
        self.leave_share = rng.uniform(0.01, 0.03)
        self.expelled_share = rng.uniform(0.01, 0.04)
        self.serials: dict[tuple[date, bool], int] = {}
        self.rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in COLUMNS}
        self.ids: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.fields: list[Field] = []
        self.faculty_ids: list[int] = []
        self.kafedras: list[list[int]] = []
        self.specialties: list[dict[str, int]] = []
        self.subject_ids: dict[str, int] = {}
        self.curricula: dict[tuple[int, str, str, int], tuple[int, dict[int, list[Line]]]] = {}
        self.groups: list[Group] = []
        self.enrolments: list[Enrolment] = []
        self.teachers: list[list[int]] = []
        self.with_e_course: set[int] = set()
        self.turn = 0

    def next_id(self, table: str) -> int:
        value = self.ids.get(table, 0) + 1
        self.ids[table] = value
        return value

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.rows[table].append(row)

    def pinfl(self, birth: date, male: bool) -> str:
        """Unique nationally: the serial's first three digits are the university's number."""
        serial = self.serials.get((birth, male), 0)
        self.serials[(birth, male)] = serial + 1
        assert serial < 1000, "more than 1,000 persons of one birthday and sex at one university"
        return pinfl_for(birth, male, self.plan.number * 1000 + serial)

    def home_region(self) -> str:
        if self.rng.random() < self.own_region:
            return self.plan.region
        return REGION_CODES[bisect.bisect_left(POPULATION_CUM, self.rng.random() * POPULATION_CUM[-1])]

    # -- structure ------------------------------------------------------------------------------

    def structure(self) -> None:
        """Faculties (one field each; the university's own field first), kafedras, specialties."""
        rng, plan = self.rng, self.plan
        count = max(2, min(12, round(2 + plan.size / 4000)))
        fields = [f for f in FIELDS if f.key != plan.primary_field]
        rng.shuffle(fields)
        if plan.primary_field:
            fields.insert(0, FIELD_BY_KEY[plan.primary_field])
        self.fields = fields[:count]
        for number, fld in enumerate(self.fields, start=1):
            faculty = self.next_id("department")
            self.add("department", (faculty, f"F{number:02d}", f"{fld.faculty} fakulteti", None, "11"))
            self.faculty_ids.append(faculty)
            kafedras = []
            for k, stem in enumerate(fld.stems[: rng.randint(2, 4)], start=1):
                kafedra = self.next_id("department")
                self.add("department", (kafedra, f"K{number:02d}{k}", f"{stem} kafedrasi", faculty, "12"))
                kafedras.append(kafedra)
            self.kafedras.append(kafedras)
            specialties = {}
            for edu_type, code, suffix in (
                (BACHELOR, fld.code, ""),
                (MASTER, "7" + fld.code[1:], " (magistratura)"),
            ):
                specialties[edu_type] = self.next_id("specialty")
                self.add("specialty", (specialties[edu_type], code, fld.specialty + suffix, edu_type))
            self.specialties.append(specialties)

    def subject(self, name: str, kafedra: int) -> int:
        if name not in self.subject_ids:
            self.subject_ids[name] = self.next_id("subject")
            self.add("subject", (self.subject_ids[name], f"S{len(self.subject_ids):04d}", name, kafedra))
        return self.subject_ids[name]

    def curriculum(
        self, faculty: int, edu_type: str, form: str, admitted: int
    ) -> tuple[int, dict[int, list[Line]]]:
        """The faculty's curriculum of one admission year and form: every semester's subjects,
        credits adding up to 30 a semester, one elective block (two options) from semester 3."""
        key = (faculty, edu_type, form, admitted)
        if key in self.curricula:
            return self.curricula[key]
        fld, kafedras = self.fields[faculty], self.kafedras[faculty]
        cid = self.next_id("curriculum")
        semesters = 8 if edu_type == BACHELOR else 4
        master = edu_type == MASTER
        self.add(
            "curriculum",
            (cid, f"{fld.specialty}{' (magistratura)' if master else ''} {admitted}, {form}",
             self.specialties[faculty][edu_type], self.faculty_ids[faculty], form, self.marking, admitted, semesters),
        )  # fmt: skip
        count = self.per_semester
        credits = _apportion(30, [1.0] * count)
        classroom_share = 0.4 if form == FULL_TIME else 0.2  # part-time and distance: mostly on their own
        pool = tuple(dict.fromkeys(fld.stems + PROFESSIONAL_SUBJECTS + COMMON_SUBJECTS))  # no name twice
        lines: dict[int, list[Line]] = {}
        for semester in range(1, semesters + 1):
            mandatory = count - (1 if semester >= 3 else 0)
            start = (semester * 7 + (3 if master else 0)) % len(pool)
            part = (semester + 1) // 2
            entries = [
                (f"{pool[(start + i) % len(pool)]} {'(ilg`or kurs)' if master else part}", False)
                for i in range(mandatory)
            ]
            if semester >= 3:
                first = (semester * 3 + faculty) % len(ELECTIVE_SUBJECTS)
                entries += [
                    (f"{ELECTIVE_SUBJECTS[(first + i) % len(ELECTIVE_SUBJECTS)]} (tanlov)", True)
                    for i in (0, 1)
                ]
            mine = []
            for slot, (name, elective) in enumerate(entries):
                credit = credits[min(slot, count - 1)]
                hours = credit * 30
                classroom = round(hours * classroom_share / 2) * 2
                lecture = classroom // 2
                lid = self.next_id("curriculum_subject")
                self.add(
                    "curriculum_subject",
                    (lid, cid, self.subject(name, kafedras[slot % len(kafedras)]), str(10 + semester),
                     "12" if elective else "11", "11.03" if elective else ("11.01" if slot < 2 else "11.04"),
                     Decimal(credit), lecture, classroom - lecture, hours - classroom, *map(Decimal, self.maxima)),
                )  # fmt: skip
                mine.append(Line(lid, elective, self.maxima))
            lines[semester] = mine
        self.curricula[key] = (cid, lines)
        return cid, lines

    def cohorts(self) -> list[Cohort]:
        """The university's students by faculty, type, form and course: exactly its size."""
        rng = self.rng
        faculties = len(self.fields)
        weights = [rng.uniform(0.5, 1.5) for _ in range(faculties)]
        weights[0] *= 1.5  # the university's own field is its largest faculty
        forms = {f: w * (rng.uniform(0.3, 1.7) if f != FULL_TIME else 1) for f, w in FORM_WEIGHTS.items()}
        # Forms other than full-time are taught at some faculties only (with the form's whole share).
        offered = {
            f: set(rng.sample(range(faculties), max(1, faculties // 3))) for f in forms if f != FULL_TIME
        }
        everyone, graduated = sum(forms.values()), 0.015  # an average faculty's bachelor's weight
        for form, where in offered.items():
            forms[form] *= faculties / len(where)
        cells: list[tuple[int, str, str, int, bool]] = []
        cell_weights: list[float] = []
        for fac in range(faculties):
            for form, fw in forms.items():
                if form == FULL_TIME or fac in offered[form]:
                    for course, cw in enumerate((1.16, 1.02, 0.94, 0.88), start=1):  # fewer in later years
                        cells.append((fac, BACHELOR, form, course, False))
                        cell_weights.append(weights[fac] * fw * cw * (1 - self.master_share - graduated))
            for course, cw in ((1, 1.1), (2, 0.9)):
                cells.append((fac, MASTER, FULL_TIME, course, False))
                cell_weights.append(weights[fac] * cw * self.master_share * everyone * 2)
            cells.append((fac, BACHELOR, FULL_TIME, 4, True))  # last June's graduates
            cell_weights.append(weights[fac] * graduated * everyone * 4)
        counts = _apportion(self.plan.size, cell_weights)
        return [Cohort(*cell, n) for cell, n in zip(cells, counts, strict=True) if n]

    # -- people ---------------------------------------------------------------------------------

    def students(self) -> None:
        rng, plan = self.rng, self.plan
        numbers: dict[tuple[int, str, str, int], int] = {}
        has_prev_first_year = running_semester(1, self.today) == 2
        for cohort in self.cohorts():
            fld = self.fields[cohort.faculty]
            admitted = self.year - cohort.course + 1 - (1 if cohort.graduated else 0)
            _, lines = self.curriculum(cohort.faculty, cohort.edu_type, cohort.form, admitted)
            size = 12 if cohort.edu_type == MASTER else 25 if cohort.form == FULL_TIME else 30
            female = min(0.95, max(0.05, fld.female + self.female_shift))
            prefix = ("M" if cohort.edu_type == MASTER else "") + (
                "" if cohort.form == FULL_TIME else cohort.form
            )
            for members in _apportion(cohort.students, [1.0] * max(1, round(cohort.students / size))):
                key = (cohort.faculty, cohort.edu_type, cohort.form, admitted)
                numbers[key] = numbers.get(key, 0) + 1
                group = Group(
                    self.next_id("academic_group"), cohort.faculty, lines, cohort.course, cohort.graduated,
                    self.specialties[cohort.faculty][cohort.edu_type], cohort.form,
                )  # fmt: skip
                language = (
                    "12"
                    if rng.random() < 0.15
                    else "13"
                    if plan.region == "1735" and rng.random() < 0.4
                    else "11"
                )
                self.add(
                    "academic_group",
                    (group.id, f"F{cohort.faculty + 1:02d}-{prefix}{admitted % 100:02d}{numbers[key]:02d}",
                     self.faculty_ids[cohort.faculty], cohort.edu_type, cohort.form, language, str(10 + cohort.course),
                     admitted, not cohort.graduated, self.curricula[(cohort.faculty, cohort.edu_type, cohort.form, admitted)][0]),
                )  # fmt: skip
                self.groups.append(group)
                ability = self.ability + rng.gauss(0, 0.025)
                for _ in range(members):
                    self.enrol(group, cohort, admitted, female, ability, has_prev_first_year)
        self.place_shared()

    def enrol(
        self, group: Group, cohort: Cohort, admitted: int, female: float, ability: float, prev_first: bool
    ) -> None:
        rng = self.rng
        status = GRADUATED
        if not cohort.graduated:
            r = rng.random()
            status = (
                LEAVE
                if r < self.leave_share
                else EXPELLED
                if r < self.leave_share + self.expelled_share
                else STUDYING
            )
        sid = self.next_id("student")
        group.pupils.append(
            Pupil(sid, min(0.99, max(0.3, rng.gauss(ability, 0.08))), cohort.graduated or cohort.course > 1 or prev_first,
                  status == STUDYING),
        )  # fmt: skip
        male = rng.random() >= female
        age = 18 + cohort.course + (4 if cohort.edu_type == MASTER else 0) + (1 if cohort.graduated else 0)
        if cohort.form in (PART_TIME, SECOND_DEGREE, DISTANCE):
            age += rng.randint(2, 12)
        birth = date(self.today.year - age - (rng.random() < 0.3), rng.randint(1, 12), rng.randint(1, 28))
        r = rng.random()
        citizenship = (
            FOREIGN if r < self.foreign_share else STATELESS if r < self.foreign_share + 0.0005 else CITIZEN
        )
        grant = self.grant_share + (0.1 if cohort.edu_type == MASTER else 0)
        payment = STATE_GRANT if citizenship == CITIZEN and rng.random() < grant else CONTRACT
        last, first, patronymic = person(rng, male)
        self.enrolments.append(
            Enrolment(
                sid, f"{self.plan.number:03d}{admitted % 100:02d}{sid:07d}",
                self.pinfl(birth, male) if citizenship == CITIZEN else None, last, first, patronymic, birth,
                "11" if male else "12", citizenship, f"A{'BCDE'[sid % 4]}{(self.plan.number * 100_003 + sid) % 10_000_000:07d}",
                f"+9989{rng.choice('01345')}{rng.randrange(10_000_000):07d}", group, payment, status,
                self.home_region() if citizenship == CITIZEN else None, admitted,
            )
        )  # fmt: skip

    def place_shared(self) -> None:
        """Put the persons this university shares with another in place of generated students."""
        if not self.plan.shared:
            return
        pupils = {p.id: p for g in self.groups for p in g.pupils}
        eligible = [
            e
            for e in self.enrolments
            if e.status == STUDYING and e.citizenship == CITIZEN and not e.group.graduated
        ]
        for enrolment, shared in zip(
            self.rng.sample(eligible, min(len(eligible), len(self.plan.shared))),
            self.plan.shared,
            strict=False,
        ):
            enrolment.pinfl, enrolment.birth, enrolment.region = shared.pinfl, shared.birth, shared.region
            enrolment.last_name, enrolment.first_name, enrolment.patronymic = (
                shared.last_name,
                shared.first_name,
                shared.patronymic,
            )
            enrolment.gender = "11" if shared.male else "12"
            pupil = pupils[enrolment.id]
            if shared.role == "transfer_out":  # left in the summer: last semester's marks only
                enrolment.status, enrolment.joined = EXPELLED, "transfer_out"
                pupil.running = False
            elif shared.role == "transfer_in":  # came in September: the running semester only
                enrolment.joined, pupil.prev = "transfer", False

    def student_rows(self) -> None:
        """Students, their status history, and who owes a contract this year."""
        rng = self.rng
        self.fee_paying = []
        reasons = {
            EXPELLED: "O'z xohishiga ko'ra chetlashtirish",
            LEAVE: "Akademik ta'til (sog'lig'i bo'yicha)",
            GRADUATED: "Bitirganlik to'g'risidagi buyruq",
        }
        for e in self.enrolments:
            self.add("student", e.row())
            if e.joined == "transfer":
                start = (datetime(self.year, 9, 1, 10, tzinfo=UTC), "O'qishini ko'chirish (boshqa OTMdan)")
            else:
                start = (datetime(e.admitted, 8, 25, 10, tzinfo=UTC), "Qabul buyrug'i")
            self.add(
                "student_status_change",
                (self.next_id("student_status_change"), e.id, None, STUDYING, start[1], start[0]),
            )
            if e.status != STUDYING:
                reason = (
                    "O'qishini boshqa OTMga ko'chirish" if e.joined == "transfer_out" else reasons[e.status]
                )
                if e.status == GRADUATED:
                    at = datetime(self.year, 6, 30, 10, tzinfo=UTC)
                elif e.joined == "transfer_out":
                    at = datetime(self.year, 8, 20, 10, tzinfo=UTC)
                else:
                    at = self.now - timedelta(days=rng.randint(20, 80))
                self.add(
                    "student_status_change",
                    (self.next_id("student_status_change"), e.id, STUDYING, e.status, reason, at),
                )
            elif e.payment == CONTRACT:
                self.fee_paying.append(e)

    def employees(self) -> None:
        """Teachers of every kafedra (students per teacher vary by university), degrees and ranks."""
        rng = self.rng
        faculty_students = [0] * len(self.fields)
        for group in self.groups:
            faculty_students[group.faculty] += len(group.pupils)
        forms = (
            EmploymentForm.MAIN,
            EmploymentForm.INTERNAL_PART_TIME,
            EmploymentForm.EXTERNAL_PART_TIME,
            EmploymentForm.HOURLY,
        )
        juniors = (Position.ASSISTANT, Position.SENIOR_TEACHER, Position.TRAINEE, Position.SENIOR_TEACHER)
        for fac, kafedras in enumerate(self.kafedras):
            total = max(2 * len(kafedras), round(faculty_students[fac] / self.teacher_ratio))
            mine: list[int] = []
            for kafedra, n in zip(kafedras, _apportion(total, [1.0] * len(kafedras)), strict=True):
                for i in range(n):
                    eid = self.next_id("employee")
                    male = rng.random() < 0.55
                    degree, rank, position = "10", "10", rng.choice(juniors)
                    if rng.random() < self.degree_share:
                        r = rng.random()
                        degree = "12" if r < 0.18 else "11" if r < 0.5 else "13"  # DSc, candidate, PhD
                        if degree == "12":
                            rank, position = (
                                ("12", Position.PROFESSOR) if rng.random() < 0.75 else ("11", Position.DOCENT)
                            )
                        elif rng.random() < 0.6:
                            rank, position = "11", Position.DOCENT
                        else:
                            position = Position.SENIOR_TEACHER
                    if i == 0:
                        position = Position.HEAD_OF_DEPARTMENT
                    age = {"12": 54, "11": 50, "13": 40}.get(degree, 34) + rng.randint(-7, 12)
                    birth = date(self.today.year - age, rng.randint(1, 12), rng.randint(1, 28))
                    form = rng.choices(forms, (0.8, 0.08, 0.1, 0.02))[0]
                    rate = (
                        Decimal("1.0")
                        if form == EmploymentForm.MAIN
                        else rng.choice((Decimal("0.25"), Decimal("0.5"), Decimal("0.75")))
                    )
                    self.add(
                        "employee",
                        (eid, f"{self.plan.number:03d}{eid:06d}", self.pinfl(birth, male), *person(rng, male), birth,
                         "11" if male else "12", kafedra, str(position), str(form), rate, degree, rank),
                    )  # fmt: skip
                    mine.append(eid)
                    if rng.random() < self.e_course_share:
                        self.with_e_course.add(eid)
            rng.shuffle(mine)
            self.teachers.append(mine)

    # -- the term: sheets, marks, absences, teaching ----------------------------------------------

    def semester_dates(self) -> dict[str, Any]:
        """When the previous semester's controls and retakes were held, and the running one's."""
        year, today = self.year, self.today
        if running_semester(1, today) == 1:  # autumn: last spring's finals in June, retakes after
            prev = {"JN": date(year, 6, 1), "ON": date(year, 4, 15), "YN": date(year, 6, 12)}
            retakes, start = (date(year, 7, 3), date(year, 9, 12)), date(year, 9, 1)
        else:  # spring: the winter session in January
            prev = {"JN": date(year + 1, 1, 5), "ON": date(year, 11, 15), "YN": date(year + 1, 1, 16)}
            retakes, start = (date(year + 1, 2, 2), date(year + 1, 2, 20)), date(year + 1, 2, 2)
        running = [("JN", today - timedelta(days=1))]
        if start + timedelta(weeks=9) < today:
            running.insert(0, ("ON", start + timedelta(weeks=9)))
        days = [start + timedelta(days=d) for d in range((today - start).days)]
        return {
            "prev": prev,
            "retakes": retakes,
            "running": running,
            "days": [d for d in days if d.isoweekday() != 7],
        }

    def sheet(self, line: Line, group: int, control: str, attempt: int, held: date) -> tuple[int, datetime]:
        sid = self.next_id("mark_sheet")
        self.add("mark_sheet", (sid, line.id, group, control, attempt, held))
        return sid, datetime.combine(held, clock(11), UTC)

    def marks(self) -> Iterator[tuple[Any, ...]]:
        """Every mark of the university, streamed to COPY as complete rows; elective choices,
        sheets, absences and teaching assignments are collected on the way.

        The hot loop: a point is the student's ability plus noise from a table drawn once
        (random.gauss per mark would be a third of the generator's time)."""
        random_, bits = self.rng.random, self.rng.getrandbits
        noise = tuple(self.rng.gauss(0, 0.07) for _ in range(4096))
        dates = self.semester_dates()
        days, pass_points = dates["days"], self.pass_points
        mark_id = 0
        for group in self.groups:
            lines, gid = group.lines, group.id
            running = None if group.graduated else running_semester(group.course, self.today)
            previous = len(lines) if group.graduated else (running - 1 if running and running > 1 else None)
            for semester in range(3, (running or len(lines)) + 1):  # electives chosen up to now
                options = [line.id for line in lines[semester] if line.elective]
                for pupil in group.pupils:
                    pupil.choices[semester] = choice = options[random_() < 0.5]
                    self.add("elective_choice", (self.next_id("elective_choice"), pupil.id, choice))
            if previous:
                held = dates["prev"]
                sitting = [p for p in group.pupils if p.prev]
                for line in lines[previous]:
                    takers = (
                        [p for p in sitting if p.choices.get(previous) == line.id]
                        if line.elective
                        else sitting
                    )
                    if not takers:
                        continue
                    sheets = [
                        (*self.sheet(line, gid, c, 1, held[c]), top)
                        for c, top in zip(("JN", "ON", "YN"), line.maxima, strict=True)
                    ]
                    debtors = []
                    for pupil in takers:
                        a, total = pupil.ability, 0
                        for sheet, at, top in sheets:
                            points = int(top * (a + noise[bits(12)]) + 0.5)
                            points = 0 if points < 0 else min(points, top)
                            total += points
                            mark_id += 1
                            yield (mark_id, sheet, pupil.id, DEC[points], 1, at, at)
                        if total < pass_points:
                            debtors.append((pupil, total - points))  # JN + ON, kept for the retake
                    top = line.maxima[2]
                    for attempt in range(2, self.final_attempts + 1):  # most debtors retake the final
                        debtors = [d for d in debtors if random_() < 0.85]
                        if not debtors:
                            break
                        sheet, at = self.sheet(line, gid, "YN", attempt, dates["retakes"][attempt - 2])
                        still = []
                        for pupil, before in debtors:
                            points = int(top * (pupil.ability + 0.12 + noise[bits(12)]) + 0.5)
                            points = 0 if points < 0 else min(points, top)
                            mark_id += 1
                            yield (mark_id, sheet, pupil.id, DEC[points], 1, at, at)
                            if before + points < pass_points:
                                still.append((pupil, before))
                        debtors = still
            if running is None:
                continue
            studying = [p for p in group.pupils if p.running]
            teachers = self.teachers[group.faculty]
            for line in lines[running]:
                takers = (
                    [p for p in studying if p.choices.get(running) == line.id] if line.elective else studying
                )
                if not takers:
                    continue
                self.assign(line, gid, teachers)
                top_of = dict(zip(("JN", "ON", "YN"), line.maxima, strict=True))
                controls = [(*self.sheet(line, gid, c, 1, held), top_of[c]) for c, held in dates["running"]]
                for pupil in takers:
                    a = pupil.ability
                    for sheet, at, top in controls:
                        points = int(top * (a + noise[bits(12)]) + 0.5)
                        mark_id += 1
                        yield (
                            mark_id,
                            sheet,
                            pupil.id,
                            DEC[0 if points < 0 else min(points, top)],
                            1,
                            at,
                            at,
                        )
                    self.absences(pupil, line, days)
        self.ids["mark"] = mark_id

    def absences(self, pupil: Pupil, line: Line, days: list[date]) -> None:
        """The lessons a student missed of a subject so far (the university's attendance level;
        weak students miss more), some excused by the dean's office with a document."""
        random_ = self.rng.random
        missed = int(MISSED[int(random_() * len(MISSED))] * self.attendance) + (
            3 if pupil.ability < 0.55 else 0
        )
        picked: list[date] = []
        for _ in range(missed):
            day = days[int(random_() * len(days))]
            if day not in picked:  # one absence per lesson
                picked.append(day)
        rows = self.rows["absence"]
        for day in picked:
            excused = random_() < 0.3
            self.ids["absence"] = absence = self.ids.get("absence", 0) + 1
            rows.append(
                (absence, pupil.id, line.id, day, 1 + int(random_() * 4), LECTURE if random_() < 0.4 else PRACTICE, 2,
                 f"Ma'lumotnoma №{100 + int(random_() * 900)}" if excused else None, "dekanat" if excused else None),
            )  # fmt: skip

    def assign(self, line: Line, gid: int, teachers: list[int]) -> None:
        """A lecturer and a practice teacher from the group's faculty, dealt in turn so every
        teacher teaches; the e-course link when the teacher keeps e-courses."""
        for training in (LECTURE, PRACTICE):
            self.turn += 1
            teacher = teachers[self.turn % len(teachers)]
            aid = self.next_id("teaching_assignment")
            url = (
                f"https://lms.{self.plan.code}.edu.uz/course/view.php?id={aid}"
                if teacher in self.with_e_course
                else None
            )
            self.add("teaching_assignment", (aid, teacher, line.id, gid, training, url))

    # -- finance ----------------------------------------------------------------------------------

    def finance(self) -> None:
        """The academic year's contracts of the studying fee-paying students: fee structures,
        schedules (hemis.finance.rules), and the ledger: charges, a few discounts, payments."""
        rng, today = self.rng, self.today
        year = academic_year_of(today)
        self.add(
            "instalment_plan",
            (self.next_id("instalment_plan"), "CHORAK", "Choraklar bo'yicha (25% dan)", json.dumps(QUARTERS)),
        )
        self.add(
            "fee_discount",
            (
                self.next_id("fee_discount"),
                "YETIM",
                "Chin yetim talabalar uchun",
                "percent",
                Decimal(50),
                None,
            ),
        )
        parts = plan_parts(QUARTERS)
        fees: dict[tuple[int, str, int, str], tuple[int, int, int | None]] = {}
        masters = {specs[MASTER] for specs in self.specialties}
        field_of = {
            spec: self.fields[fac] for fac, specs in enumerate(self.specialties) for spec in specs.values()
        }
        schedules: dict[int, list[Instalment]] = {}
        payments = dict.fromkeys(("payme", "stripe", "bank", "cash"), 0)
        for seq, e in enumerate(self.fee_paying, start=1):
            group, foreign = e.group, e.citizenship != CITIZEN
            kind = "foreign" if foreign else "differentiated" if rng.random() < 0.06 else "base"
            key = (group.specialty, group.form, group.course, kind)
            if key not in fees:
                fees[key] = self.fee(
                    key, year, group.specialty in masters, FEE_COEFFICIENT[field_of[group.specialty].key]
                )
            fee_id, amount, base = fees[key]
            cid = self.next_id("contract")
            signed = date(year, 8, 10) + timedelta(days=rng.randrange(50))
            number = contract_number(year, seq)
            token = base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()
            self.add("contract", (cid, year, seq, number, e.id, fee_id, kind, signed, amount, base, token))
            signed_at = datetime.combine(signed, clock(10), UTC)
            self.ledger(cid, e.id, "charge", amount, signed, signed_at, number)
            total = amount
            if rng.random() < 0.03:
                off = round_to_som(Decimal(amount) / 2)
                total -= off
                self.ledger(
                    cid, e.id, "discount", -off, signed, signed_at, "Chin yetim talabalar uchun", discount=1
                )
            if total not in schedules:
                schedules[total] = instalments(total, parts, year)
            for part in schedules[total]:
                self.add(
                    "contract_instalment",
                    (self.next_id("contract_instalment"), cid, part.number, part.due_on, part.amount),
                )
            r = rng.random()
            if r < 0.15:  # the whole year at once
                paid = [(total, signed + timedelta(days=rng.randrange(1, 20)))]
            elif r < 0.92:  # each instalment about its due day
                paid = [
                    (p.amount, p.due_on + timedelta(days=rng.randint(-20, 4)))
                    for p in schedules[total]
                    if p.due_on <= today
                ]
            elif r < 0.97:  # part of what is due: a debtor
                due = due_by(schedules[total], today)
                paid = [(due // 200 * 100, signed + timedelta(days=rng.randrange(10, 60)))]
            else:  # nothing yet
                paid = []
            electronic = self.electronic_share + (0.2 if foreign else 0)
            for money, day in paid:
                if money <= 0:
                    continue
                day = min(day, today)
                if rng.random() < electronic:
                    provider = "stripe" if rng.random() < (0.6 if foreign else 0.05) else "payme"
                else:
                    provider = "bank" if rng.random() < 0.85 else "cash"
                payments[provider] += 1
                n = payments[provider]
                external = {
                    "payme": f"{self.plan.number:04x}{n:020x}",  # Payme's ids are 24 hex digits
                    "stripe": f"pi_{hashlib.sha1(f'{self.plan.code}/{n}'.encode(), usedforsecurity=False).hexdigest()[:24]}",
                    "bank": f"P{day:%Y%m%d}{n:07d}",  # the payment order
                    "cash": f"KASSA-{n:07d}",  # the cash desk's receipt
                }[provider]
                at = datetime.combine(day, clock(rng.randint(8, 20), rng.randint(0, 59)), UTC)
                self.ledger(
                    cid, e.id, "payment", -money, day, at, "To'lov", provider=provider, external_id=external
                )
        if self.fee_paying:
            self.add("contract_counter", (year, len(self.fee_paying)))
        self.counts["payments_electronic"] = payments["payme"] + payments["stripe"]

    def fee(
        self, key: tuple[int, str, int, str], year: int, master: bool, coefficient: int
    ) -> tuple[int, int, int | None]:
        """A fee structure: a coefficient of the BHM (foreign students: a fixed sum, ~3,000 USD)."""
        specialty, form, course, kind = key
        fee_id = self.next_id("fee_structure")
        head = (fee_id, year, specialty, form, str(10 + course), CONTRACT, kind)
        if kind == "foreign":
            self.add("fee_structure", (*head, FOREIGN_FEE_TIYIN, None, 1))
            return fee_id, FOREIGN_FEE_TIYIN, None
        coef = (
            Decimal(coefficient + course - 1)
            * (Decimal("1.3") if master else 1)
            * (Decimal("0.7") if form != FULL_TIME else 1)
        )
        coef = (coef * (Decimal("1.25") if kind == "differentiated" else 1)).quantize(Decimal("0.001"))
        self.add("fee_structure", (*head, None, coef, 1))
        return fee_id, round_to_som(coef * BHM_TIYIN), BHM_TIYIN

    def ledger(
        self, contract: int, student: int, kind: str, amount: int, booked: date, at: datetime, note: str,
        *, discount: int | None = None, provider: str | None = None, external_id: str | None = None,
    ) -> None:  # fmt: skip
        self.add(
            "ledger_entry",
            (self.next_id("ledger_entry"), contract, student, kind, amount, booked, at, ACTOR, note, discount, provider, external_id),
        )  # fmt: skip


BHM_TIYIN = (
    41_200_000  # 412,000 so'm: the base amount in force since 2025-08-01 (ref.base_calculation_amount)
)
FOREIGN_FEE_TIYIN = 3_800_000_000  # 38 million so'm a year
FEE_COEFFICIENT = {  # × BHM a year, first course, full-time bachelor's
    "it": 36, "ped": 26, "phil": 27, "eco": 32, "eng": 30, "med": 52, "agr": 24, "law": 34, "nat": 28, "math": 27,
    "arch": 33, "tour": 30, "art": 31, "sport": 25,
}  # fmt: skip

# Columns of the generated rows, in order; CONSTANTS are appended, then created_at/updated_at
# for the tables that have them (none of these columns has a server default).
COLUMNS: dict[str, tuple[str, ...]] = {
    "mark": ("id", "sheet_id", "student_id", "points", "version", "created_at", "updated_at"),
    "department": ("id", "code", "name", "parent_id", "structure_type"),
    "specialty": ("id", "code", "name", "education_type"),
    "subject": ("id", "code", "name", "department_id"),
    "curriculum": ("id", "name", "specialty_id", "department_id", "education_form", "marking_system", "admission_year", "semester_count"),
    "curriculum_subject": (
        "id", "curriculum_id", "subject_id", "semester", "subject_type", "subject_block", "credit", "lecture_hours",
        "practice_hours", "independent_hours", "max_current", "max_midterm", "max_final",
    ),
    "academic_group": (
        "id", "name", "department_id", "education_type", "education_form", "education_lang", "course", "admission_year",
        "active", "curriculum_id",
    ),
    "student": (
        "id", "student_id_number", "pinfl", "last_name", "first_name", "patronymic", "birth_date", "gender", "citizenship",
        "passport", "phone", "group_id", "payment_form", "status", "region_code",
    ),
    "student_status_change": ("id", "student_id", "old_status", "new_status", "reason", "at"),
    "employee": (
        "id", "employee_id_number", "pinfl", "last_name", "first_name", "patronymic", "birth_date", "gender",
        "department_id", "position", "employment_form", "rate", "academic_degree", "academic_rank",
    ),
    "elective_choice": ("id", "student_id", "curriculum_subject_id"),
    "mark_sheet": ("id", "curriculum_subject_id", "group_id", "control_type", "attempt", "held_on"),
    "absence": (
        "id", "student_id", "curriculum_subject_id", "lesson_date", "lesson_pair", "training_type", "hours",
        "excuse_document", "excused_by",
    ),
    "teaching_assignment": ("id", "employee_id", "curriculum_subject_id", "group_id", "training_type", "e_course_url"),
    "instalment_plan": ("id", "code", "name", "parts"),
    "fee_discount": ("id", "code", "reason", "kind", "percent", "amount"),
    "fee_structure": (
        "id", "academic_year", "specialty_id", "education_form", "course", "payment_form", "contract_type", "amount",
        "bhm_coefficient", "instalment_plan_id",
    ),
    "contract": (
        "id", "academic_year", "seq", "number", "student_id", "fee_structure_id", "contract_type", "signed_on", "amount",
        "base_amount", "verify_token",
    ),
    "contract_instalment": ("id", "contract_id", "number", "due_on", "amount"),
    "contract_counter": ("academic_year", "last_seq"),
    "ledger_entry": (
        "id", "contract_id", "student_id", "kind", "amount", "booked_on", "at", "actor", "note", "discount_id",
        "provider", "external_id",
    ),
}  # fmt: skip
CONSTANTS: dict[str, dict[str, Any]] = {
    "department": {"name_ru": "", "name_en": "", "active": True},
    "curriculum": {"active": True},
    "curriculum_subject": {"laboratory_hours": 0, "seminar_hours": 0},
    "student": {"email": ""},
    "student_status_change": {"actor": ACTOR, "request_id": ""},
    "employee": {"phone": "", "email": "", "active": True},
    "mark_sheet": {"lock_after_days": 2},
    "instalment_plan": {"active": True},
    "fee_discount": {"active": True},
    "fee_structure": {"active": True},
    "contract": {"status": "active"},
    "ledger_entry": {"request_id": ""},
}
WITHOUT_TIMESTAMPS = {"mark", "student_status_change", "contract_counter", "ledger_entry"}


def copy_columns(table: str) -> tuple[str, ...]:
    stamps = () if table in WITHOUT_TIMESTAMPS else ("created_at", "updated_at")
    return COLUMNS[table] + tuple(CONSTANTS.get(table, {})) + stamps


def complete_rows(
    table: str, rows: Iterator[tuple[Any, ...]] | list[tuple[Any, ...]], now: datetime
) -> Iterator[tuple[Any, ...]]:
    """The generated rows with the constants and timestamps appended, in `copy_columns` order."""
    tail = tuple(CONSTANTS.get(table, {}).values()) + (() if table in WITHOUT_TIMESTAMPS else (now, now))
    if not tail:
        yield from rows
    else:
        for row in rows:
            yield row + tail


# asyncpg's own binary encoders of timestamptz, date and numeric run Python arithmetic per value
# (about half of the client's COPY time); the load connection encodes them from caches instead.
PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_encoded: dict[object, bytes] = {}


def _timestamptz(value: datetime) -> bytes:
    encoded = _encoded.get(value)
    if encoded is None:
        encoded = _encoded[value] = struct.pack("!q", (value - PG_EPOCH) // timedelta(microseconds=1))
    return encoded


def _date(value: date) -> bytes:
    encoded = _encoded.get(value)
    if encoded is None:
        encoded = _encoded[value] = struct.pack("!i", (value - PG_EPOCH.date()).days)
    return encoded


def numeric_binary(value: Decimal | int) -> bytes:
    """PostgreSQL's binary numeric: base-10000 digits with weight, sign and display scale."""
    sign, digits, exponent = Decimal(value).as_tuple()
    assert isinstance(exponent, int), "no NaN or infinity"
    scale = max(0, -exponent)
    text = ("".join(map(str, digits)) + "0" * max(0, exponent)).zfill(scale)
    whole, fraction = text[: len(text) - scale].lstrip("0"), text[len(text) - scale :]
    whole = whole.zfill(-(-len(whole) // 4) * 4)
    fraction = fraction.ljust(-(-len(fraction) // 4) * 4, "0")
    groups = [int(whole[i : i + 4]) for i in range(0, len(whole), 4)]
    groups += [int(fraction[i : i + 4]) for i in range(0, len(fraction), 4)]
    weight = len(whole) // 4 - 1
    while groups and groups[0] == 0:
        groups.pop(0)
        weight -= 1
    while groups and groups[-1] == 0:
        groups.pop()
    if not groups:
        weight = 0
    return struct.pack(f"!hhHh{len(groups)}h", len(groups), weight, 0x4000 if sign else 0, scale, *groups)


def _numeric(value: Decimal) -> bytes:
    encoded = _encoded.get(value)
    if encoded is None:
        encoded = _encoded[value] = numeric_binary(value)
    return encoded


class LoadConnection(asyncpg.Connection):  # type: ignore[misc]
    """The COPY connection: timestamptz, date and numeric written through the caches above (read
    back as raw bytes, which nothing here does), and COPY with FREEZE."""

    async def copy_frozen(self, schema: str, table: str, columns: Sequence[str], records: Any) -> None:
        """copy_records_to_table with FREEZE, which it cannot ask for: its own two protocol steps
        (asyncpg is pinned by uv.lock). Rows go in frozen and all-visible, so no VACUUM has to
        visit the tables afterwards; the table must be truncated in this transaction first."""
        name = f"{naming.quote(schema)}.{naming.quote(table)}"
        listed = ", ".join(naming.quote(c) for c in columns)
        intro = await self._prepare(f"SELECT {listed} FROM {name} LIMIT 1", use_cache=True)
        copy = f"COPY {name} ({listed}) FROM STDIN (FORMAT binary, FREEZE)"
        await self._protocol.copy_in(copy, None, None, records, intro._state, None)


async def load_connection(url: str) -> LoadConnection:
    conn: LoadConnection = await asyncpg.connect(url, connection_class=LoadConnection)
    for name, encoder in (("timestamptz", _timestamptz), ("date", _date), ("numeric", _numeric)):
        await conn.set_type_codec(name, schema="pg_catalog", encoder=encoder, decoder=bytes, format="binary")
    return conn


# Tables whose indexes are dropped for the load and built after it: a sorted build costs less
# than millions of single inserts. Measured on one university: a third less PostgreSQL CPU for
# these two; for the smaller tables the rebuilds (each fsyncs its new file) cost more than they save.
BULK_TABLES = ("mark", "absence")
INDEXES_SQL = """
SELECT 'index' AS kind, i.indexrelid::regclass::text AS name, c.relname AS owner, pg_get_indexdef(i.indexrelid) AS def
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
WHERE c.relnamespace = $1::regnamespace AND c.relname = ANY($2)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
UNION ALL
SELECT CASE k.contype WHEN 'f' THEN 'reference' ELSE 'key' END, k.conname, c.relname, pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
WHERE (k.contype IN ('p', 'u') AND k.conrelid = ANY($3::regclass[]))
   OR (k.contype = 'f' AND k.confrelid = ANY($3::regclass[]))
"""


async def drop_indexes(conn: asyncpg.Connection, schema: str, tables: Sequence[str]) -> list[str]:
    """Drop the indexes and keys of `tables` (and the foreign keys that lean on those keys);
    returns the statements that build them again, in order."""
    qualified = [f"{naming.quote(schema)}.{naming.quote(t)}" for t in tables]
    found = await conn.fetch(INDEXES_SQL, schema, list(tables), qualified)
    drop: list[str] = []
    build: list[str] = []
    for kind in ("reference", "key", "index"):
        for row in (r for r in found if r["kind"] == kind):
            owner = f"{naming.quote(schema)}.{naming.quote(row['owner'])}"
            if kind == "index":
                drop.append(f"DROP INDEX {row['name']}")
                build.insert(0, row["def"])
            else:
                drop.append(f"ALTER TABLE {owner} DROP CONSTRAINT {naming.quote(row['name'])}")
                build.insert(
                    0, f"ALTER TABLE {owner} ADD CONSTRAINT {naming.quote(row['name'])} {row['def']}"
                )
    if drop:
        await conn.execute("; ".join(drop))
    return build


class Stopwatch:
    """Milliseconds spent per phase (summed over universities in the report)."""

    def __init__(self) -> None:
        self.laps: dict[str, int] = {}
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round((now - self.last) * 1000)
        self.last = now


async def load_university(
    conn: LoadConnection, plan: UniversityPlan, params: NationalParams
) -> dict[str, int]:
    """Generate one university and COPY it in one transaction (triggers and FK checks off, the
    big tables' indexes built after their rows), then ANALYZE its tables. Returns its row counts.

    The garbage collector is off meanwhile: the millions of row tuples held for COPY hold no
    cycles, and its repeated passes over them took two thirds of the generator's time."""
    clock_ms = Stopwatch()
    gc.disable()
    try:
        builder = TenantBuilder(plan, params)
        builder.structure()
        builder.students()
        builder.student_rows()
        builder.employees()
        schema = naming.schema_name(plan.code)
        clock_ms.lap("ms_people")

        async def copy(table: str, rows: Iterator[tuple[Any, ...]] | list[tuple[Any, ...]]) -> None:
            await conn.copy_frozen(
                schema, table, copy_columns(table), complete_rows(table, rows, builder.now)
            )

        async with conn.transaction():
            # Superuser only: no triggers (the grade history chain) and no foreign-key checks.
            await conn.execute(
                "SET LOCAL session_replication_role = replica; SET LOCAL synchronous_commit = off; "
                "SET LOCAL maintenance_work_mem = '256MB'; SET LOCAL max_parallel_maintenance_workers = 0"
            )
            # Empty already; truncated in this transaction so that COPY may FREEZE (the cascade
            # reaches only tables that refer to these, as empty in a new tenant).
            await conn.execute(
                f"TRUNCATE {', '.join(f'{naming.quote(schema)}.{t}' for t in COLUMNS)} CASCADE"
            )
            rebuild = await drop_indexes(conn, schema, BULK_TABLES)
            await copy("mark", builder.marks())  # streamed: sheets, absences … are collected meanwhile
            clock_ms.lap("ms_marks")
            builder.finance()
            clock_ms.lap("ms_finance")
            for table, rows in builder.rows.items():
                if rows:
                    await copy(table, rows)
            clock_ms.lap("ms_copy_rest")
            if rebuild:
                await conn.execute("; ".join(rebuild))
            clock_ms.lap("ms_indexes")
            for table, last in builder.ids.items():
                qualified = f"{naming.quote(schema)}.{table}"
                await conn.execute("SELECT setval(pg_get_serial_sequence($1, 'id'), $2)", qualified, last)
        counts = {table: len(rows) for table, rows in builder.rows.items()} | {
            "mark": builder.ids.get("mark", 0)
        }
        counts |= builder.counts
        clock_ms.lap("ms_commit")
    finally:
        gc.enable()
    await conn.execute(f"ANALYZE {', '.join(f'{naming.quote(schema)}.{table}' for table in COLUMNS)}")
    clock_ms.lap("ms_analyze")
    return counts | clock_ms.laps


# --- the whole country -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Job:
    url: str
    prefix: str
    base_domain: str
    plan: UniversityPlan
    params: NationalParams


def _settings(url: str, prefix: str, base_domain: str) -> Settings:
    settings = Settings()
    settings.db.url, settings.tenancy.role_prefix, settings.tenancy.base_domain = url, prefix, base_domain
    return settings


async def build_university(job: Job, engine: AsyncEngine, conn: LoadConnection) -> dict[str, int]:
    """Provision one university through the platform, then load its data (two transactions)."""
    plan = job.plan
    spec = TenantSpec(code=plan.code, name_uz=plan.name_uz, name_ru=plan.name_ru, name_en=plan.name_en,
                      hemis_code=f"{plan.number:03d}")  # fmt: skip
    city = REGIONS[plan.region][0]
    started = time.perf_counter()
    await create_tenant(
        engine, _settings(job.url, job.prefix, job.base_domain), spec,
        short_name=plan.short_name, region_code=plan.region, website=f"https://{plan.code}.edu.uz",
        address=f"{city} sh., Universitet ko'chasi, {plan.number}",
    )  # fmt: skip
    provisioned = round((time.perf_counter() - started) * 1000)
    return await load_university(conn, plan, job.params) | {"ms_provision": provisioned}


_worker: dict[str, Any] = {}  # per worker process: its event loop, engine and COPY connection


def _engine(url: str) -> AsyncEngine:
    return create_async_engine(async_url(url), pool_size=1, max_overflow=0, pool_pre_ping=True)


def _init_worker(url: str) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    _worker.update(loop=loop, engine=_engine(url), conn=loop.run_until_complete(load_connection(url)))


def _build_in_worker(job: Job) -> dict[str, int]:
    started = time.perf_counter()
    counts: dict[str, int] = _worker["loop"].run_until_complete(
        build_university(job, _worker["engine"], _worker["conn"])
    )
    return counts | {"ms": round((time.perf_counter() - started) * 1000)}


async def build_universities(jobs: list[Job], parallel: int, progress: Any = None) -> list[dict[str, int]]:
    """Every university, largest first, in `parallel` spawned worker processes (in this process
    and event loop when parallel is 1: tests and tiny datasets)."""
    jobs = sorted(jobs, key=lambda j: -j.plan.size)
    results: list[dict[str, int]] = []

    def done(job: Job, counts: dict[str, int]) -> None:
        results.append(counts)
        if progress:
            progress(len(results), len(jobs), job.plan.code)

    if parallel <= 1:
        engine, conn = _engine(jobs[0].url), await load_connection(jobs[0].url)
        try:
            for job in jobs:
                started = time.perf_counter()
                counts = await build_university(job, engine, conn)
                done(job, counts | {"ms": round((time.perf_counter() - started) * 1000)})
        finally:
            await conn.close()
            await engine.dispose()
        return results
    context = multiprocessing.get_context("spawn")  # no forked sockets or event loops
    with ProcessPoolExecutor(
        parallel, mp_context=context, initializer=_init_worker, initargs=(jobs[0].url,)
    ) as pool:
        running: dict[asyncio.Future[dict[str, int]], Job] = {}
        pending = list(jobs)
        while pending or running:
            while pending and len(running) < parallel:
                job = pending.pop(0)
                running[asyncio.wrap_future(pool.submit(_build_in_worker, job))] = job
            finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for future in finished:
                done(running.pop(future), future.result())  # a failure ends the build: no marker
    return results


MARKER = "bench_meta.national_dataset"


async def completed_build(url: str) -> dict[str, Any] | None:
    """The marker row of a completed build in the database at `url`, or None."""
    try:
        conn = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        row = await conn.fetchrow(f"SELECT params, role_prefix, codes, counts FROM {MARKER}")
    except asyncpg.UndefinedTableError:
        return None
    finally:
        await conn.close()
    return None if row is None else {
        "params": json.loads(row["params"]), "role_prefix": row["role_prefix"], "codes": list(row["codes"]),
        "counts": json.loads(row["counts"]),
    }  # fmt: skip


async def _to_head(settings: Settings, codes: Sequence[str]) -> None:
    """A kept dataset follows the code: the shared tree and every tenant migrated to head."""
    owner = owner_engine(settings)
    try:
        await setup_platform(owner, settings)
    finally:
        await owner.dispose()
    head = tenant_head()
    conn = await asyncpg.connect(settings.db.url)
    try:
        behind = [
            code for code in codes
            if await conn.fetchval(f"SELECT version_num FROM {naming.quote(naming.schema_name(code))}.alembic_version") != head
        ]  # fmt: skip
    finally:
        await conn.close()
    if behind:
        failed = [
            r
            for r in migrate_tenants(
                async_url(settings.db.url), behind, prefix=settings.tenancy.role_prefix, parallelism=2
            )
            if not r.ok
        ]
        if failed:
            raise RuntimeError(f"migrating the kept dataset failed: {failed[0].code}: {failed[0].error}")


async def national_dataset(
    params: NationalParams | None = None, *, parallel: int = 2, reuse: bool = False, db: TestDatabase | None = None,
    progress: Any = None,
) -> NationalDataset:  # fmt: skip
    """The national dataset of `params` in its private database (`bench_database("national")`
    unless `db` is given): kept when `reuse` and a completed build of the same parameters is
    there, else built afresh."""
    params = params or NationalParams()
    db = db or await bench_database("national", fresh=False)
    settings = db.settings
    codes = [naming.NATIONAL_SCHEMA] + [f"u{n:03d}" for n in range(1, params.tenants + 1)]
    if reuse:
        found = await completed_build(db.url)
        if (
            found
            and found["params"] == params.as_json()
            and found["role_prefix"] == settings.tenancy.role_prefix
        ):
            await _to_head(settings, found["codes"])
            return NationalDataset(settings, tuple(found["codes"][1:]), params, found["counts"], reused=True)
    started = time.perf_counter()
    await recreate_database(db)
    owner = owner_engine(settings)
    try:
        await setup_platform(owner, settings)
        ministry = next(d for d in DEMO_TENANTS if d.spec.kind is TenantKind.NATIONAL)
        await create_tenant(owner, settings, ministry.spec, **ministry.profile)
    finally:
        await owner.dispose()
    plans = plan_universities(params)
    jobs = [
        Job(settings.db.url, settings.tenancy.role_prefix, settings.tenancy.base_domain, p, params)
        for p in plans
    ]
    results = await build_universities(jobs, parallel, progress)
    counts: dict[str, int] = {}
    for result in results:
        for key, value in result.items():
            counts[key] = counts.get(key, 0) + value
    counts["universities"] = len(results)
    counts["dual_enrolled_persons"] = sum(p.role == "dual" for plan in plans for p in plan.shared) // 2
    counts["transferred_persons"] = sum(p.role == "transfer_in" for plan in plans for p in plan.shared)
    counts["build_slowest_university_ms"] = max(r["ms"] for r in results)
    del counts["ms"]
    conn = await asyncpg.connect(settings.db.url)
    try:
        await conn.execute(
            f"ANALYZE shared.tenant, shared.tenant_domain, {naming.quote(naming.schema_name(codes[0]))}.institution_profile"
        )
        counts["build_ms"] = round((time.perf_counter() - started) * 1000)
        # Written last: its presence means the build completed.
        await conn.execute(
            "CREATE SCHEMA bench_meta; "
            f"CREATE TABLE {MARKER} (params jsonb NOT NULL, role_prefix text NOT NULL, codes text[] NOT NULL, "
            "counts jsonb NOT NULL, completed_at timestamptz NOT NULL DEFAULT now())"
        )
        await conn.execute(
            f"INSERT INTO {MARKER} (params, role_prefix, codes, counts) VALUES ($1, $2, $3, $4)",
            json.dumps(params.as_json()), settings.tenancy.role_prefix, ["national", *[p.code for p in plans]], json.dumps(counts),
        )  # fmt: skip
    finally:
        await conn.close()
    return NationalDataset(settings, tuple(p.code for p in plans), params, counts, reused=False)


async def main(params: NationalParams, parallel: int, reuse: bool) -> dict[str, Any]:
    started = time.perf_counter()

    def progress(done: int, total: int, code: str) -> None:
        print(f"[{done}/{total} {code}] {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)

    dataset = await national_dataset(params, parallel=parallel, reuse=reuse, progress=progress)
    conn = await asyncpg.connect(dataset.url)
    try:
        size = await conn.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await conn.close()
    counts = dataset.counts
    return {
        "database": make_url(dataset.url).database,
        "role_prefix": dataset.settings.tenancy.role_prefix,
        "params": params.as_json(),
        "parallel": parallel,
        "reused": dataset.reused,
        "seconds": round(time.perf_counter() - started, 1),
        "build_seconds": round(counts.get("build_ms", 0) / 1000, 1),
        "database_bytes": size,
        "database_size": f"{size / 2**30:.2f} GiB",
        "universities": counts.get("universities"),
        "students": counts.get("student"),
        "marks": counts.get("mark"),
        "marks_per_student": round(counts.get("mark", 0) / max(1, counts.get("student", 0)), 1),
        "mark_sheets": counts.get("mark_sheet"),
        "absences": counts.get("absence"),
        "employees": counts.get("employee"),
        "teaching_assignments": counts.get("teaching_assignment"),
        "contracts": counts.get("contract"),
        "ledger_entries": counts.get("ledger_entry"),
        "payments_electronic": counts.get("payments_electronic"),
        "dual_enrolled_persons": counts.get("dual_enrolled_persons"),
        "transferred_persons": counts.get("transferred_persons"),
        "rows": {k: v for k, v in sorted(counts.items()) if k in COLUMNS},
        "worker_seconds": {k[3:]: round(v / 1000, 1) for k, v in counts.items() if k.startswith("ms_")},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    defaults = NationalParams()
    parser.add_argument("--tenants", type=int, default=defaults.tenants)
    parser.add_argument("--students", type=int, default=defaults.students)
    parser.add_argument("--marks", type=int, default=defaults.marks, help="marks per student, on average")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--today", type=date.fromisoformat, default=defaults.today, help="the dataset's today"
    )
    parser.add_argument("--parallel", type=int, default=2, help="worker processes")
    parser.add_argument("--reuse", action="store_true", help="keep a completed build of the same parameters")
    args = parser.parse_args()
    chosen = NationalParams(args.tenants, args.students, args.marks, args.seed, args.today)
    print(json.dumps(asyncio.run(main(chosen, args.parallel, args.reuse)), indent=2))
