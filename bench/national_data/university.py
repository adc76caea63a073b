"""One university's rows: structure, curricula, groups, students, teachers and its running term."""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import Any

from bench.national_data.plan import NationalParams, UniversityPlan, apportion, subjects_per_semester
from bench.national_data.vocabulary import (
    BACHELOR,
    CITIZEN,
    COMMON_SUBJECTS,
    CONTRACT,
    CREDIT_SYSTEM,
    DEC,
    DISTANCE,
    ELECTIVE_SUBJECTS,
    EXPELLED,
    FIELD_BY_KEY,
    FIELDS,
    FOREIGN,
    FORM_WEIGHTS,
    FULL_TIME,
    GRADUATED,
    LEAVE,
    LECTURE,
    MASTER,
    MAXIMA,
    MISSED,
    PART_TIME,
    POPULATION_CUM,
    PRACTICE,
    PROFESSIONAL_SUBJECTS,
    RATING_SYSTEM,
    REGION_CODES,
    SECOND_DEGREE,
    STATE_GRANT,
    STATELESS,
    STUDYING,
    Field,
)
from hemis.finance.rules import academic_year_of
from hemis.staff.models import EmploymentForm, Position
from hemis.term_demo import person, pinfl_for, running_semester

# The tables a university gets and the columns of their generated rows, in COPY order (the
# loader appends constants and timestamps: bench.national_data.load).
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
        self.year = academic_year_of(params.today)
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
        self.fee_paying: list[Enrolment] = []  # studying on a contract: they get this year's contract
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
        credits = apportion(30, [1.0] * count)
        classroom_share = 0.4 if form == FULL_TIME else 0.2  # part-time and distance: mostly on their own
        pool = tuple(dict.fromkeys(fld.stems + PROFESSIONAL_SUBJECTS + COMMON_SUBJECTS))  # no name twice
        lines: dict[int, list[Line]] = {}
        for semester in range(1, semesters + 1):
            mandatory = count - (1 if semester >= 3 else 0)
            start = (semester * 7 + (3 if master else 0)) % len(pool)
            part = (semester + 1) // 2
            suffix = "(ilg'or kurs)" if master else str(part)
            entries = [(f"{pool[(start + i) % len(pool)]} {suffix}", False) for i in range(mandatory)]
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
        counts = apportion(self.plan.size, cell_weights)
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
            for members in apportion(cohort.students, [1.0] * max(1, round(cohort.students / size))):
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
            for kafedra, n in zip(kafedras, apportion(total, [1.0] * len(kafedras)), strict=True):
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
