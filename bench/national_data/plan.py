"""Who the universities are, where and how big, and which persons two of them share."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from bench.national_data.vocabulary import (
    DUAL_SHARE,
    GENERATOR_VERSION,
    KINDS,
    POPULATION_CUM,
    PRIVATE_BRANDS,
    REGION_CODES,
    REGIONS,
    SHARED_BLOCK,
    TODAY,
    TRANSFER_SHARE,
)
from hemis.term_demo import person, pinfl_for


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


def apportion(total: int, weights: Sequence[float]) -> list[int]:
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
    sizes = apportion(students, [min(12.0, rng.lognormvariate(0, 0.75)) for _ in range(tenants)])
    for _ in range(20):  # move what lies above the cap to the others, by their size
        excess = sum(max(0, s - cap) for s in sizes)
        if not excess:
            break
        sizes = [min(s, cap) for s in sizes]
        extra = apportion(excess, [s if s < cap else 0 for s in sizes])
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
            REGION_CODES, apportion(params.tenants, [r[4] for r in REGIONS.values()]), strict=True
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
