"""A realistic term for a demo university, and the generator benchmarks use at national scale.

For every faculty: a specialty, a credit-system curriculum per admission year (8 semesters,
five mandatory subjects and, from semester 3, an elective block of two), groups of each
course, students with Uzbek names and well-formed PINFLs, electives chosen, teachers of
each kafedra with their teaching assignments; marks of the whole previous study year
(finals, and retakes for most debtors) and JN/ON marks of the running semester; absences,
some excused by the dean's office; a clash-free weekly timetable of the running semester.

Rows go in with bulk INSERTs as the tenant's role (the service path would take minutes for
thousands of students); the grade history trigger still chains every mark. Values obey the
same rules the services check (bounds, maxima adding up, membership), so the demo data
looks like data users entered.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from hemis.attendance.models import Absence
from hemis.core.audit import bind_context
from hemis.curriculum.models import Curriculum, CurriculumSubject, Specialty, Subject
from hemis.finance.rules import academic_year_of
from hemis.grading.models import Mark, MarkSheet
from hemis.staff.models import Employee, EmploymentForm, Position, TeachingAssignment
from hemis.structure.models import Department, StructureType
from hemis.students.models import AcademicGroup, Student, StudentStatusChange
from hemis.timetable.demo import seed_timetable
from hemis.trajectory.models import ElectiveChoice

MALE_NAMES = (
    "Jasur", "Bekzod", "Sardor", "Javohir", "Abdulloh", "Doniyor", "Shohruh", "Otabek", "Aziz", "Jahongir",
    "Islom", "Sherzod", "Ulug'bek", "Bobur", "Temur", "Asadbek", "Sanjar", "Diyor", "Farrux", "Akmal",
    "Nodir", "Rustam", "Mirjalol", "Behruz", "Ibrohim", "Muhammadali", "Komil", "Elyor", "Sarvar", "Humoyun",
)  # fmt: skip
FEMALE_NAMES = (
    "Madina", "Sevara", "Dilnoza", "Gulnoza", "Malika", "Shahnoza", "Nilufar", "Mohinur", "Zarina", "Kamola",
    "Dildora", "Sabina", "Munisa", "Feruza", "Nodira", "Oysha", "Maftuna", "Sitora", "Laylo", "Robiya",
    "Gulchehra", "Durdona", "Mubina", "Shaxzoda", "Ozoda", "Barno", "Hilola", "Iroda", "Nigora", "Zilola",
)  # fmt: skip
SURNAME_STEMS = (
    "Karimov", "Rahimov", "Tursunov", "Aliyev", "Yusupov", "Abdullayev", "Ismoilov", "Qodirov", "Saidov",
    "Ergashev", "Xolmatov", "Nazarov", "Rasulov", "Mirzayev", "Sobirov", "Hasanov", "Umarov", "Jo'rayev",
    "Olimov", "Sharipov", "To'xtayev", "Salimov", "Bakirov", "Normatov", "Fayzullayev", "Eshonqulov",
)  # fmt: skip
# h_accommodation by share (per cent): own home, relatives, acquaintances, rented, dormitory.
ACCOMMODATION_SHARES = (("11", 45), ("12", 8), ("13", 2), ("14", 25), ("15", 20))


def accommodation_for(serial: int) -> str:
    """A student's accommodation, spread by ACCOMMODATION_SHARES over the serial numbers (not
    drawn from the generator, so the rest of the demo stays what it was)."""
    point = serial * 37 % 100
    for code, share in ACCOMMODATION_SHARES:
        if point < share:
            return code
        point -= share
    return ACCOMMODATION_SHARES[-1][0]


# h_soato regions (level region) and roughly how many students come from each.
HOME_REGIONS = (
    ("1703", 9), ("1706", 6), ("1708", 4), ("1710", 10), ("1712", 3), ("1714", 8), ("1718", 11),
    ("1722", 8), ("1724", 3), ("1726", 9), ("1727", 9), ("1730", 11), ("1733", 5), ("1735", 6),
)  # fmt: skip
SUBJECTS = (
    "Oliy matematika", "Fizika", "Dasturlash asoslari", "Algoritmlar va ma'lumotlar tuzilmasi",
    "Diskret matematika", "Ehtimollar nazariyasi va matematik statistika", "Ma'lumotlar bazasi",
    "Kompyuter tarmoqlari", "Operatsion tizimlar", "Chiziqli algebra", "Xorijiy til", "O'zbekiston tarixi",
    "Falsafa", "Iqtisodiyot nazariyasi", "Elektronika va sxemalar", "Veb dasturlash",
    "Mobil ilovalar yaratish", "Sun'iy intellekt asoslari", "Axborot xavfsizligi", "Kriptografiya",
    "Signallarni qayta ishlash", "Dasturiy injiniring", "Kompyuter grafikasi", "Raqamli texnologiyalar",
    "Ekologiya", "Jismoniy tarbiya", "Huquqshunoslik asoslari", "Tizimli tahlil", "Bulutli hisoblash",
    "Ma'lumotlar tahlili", "Mashinali o'qitish", "Kompyuter arxitekturasi",
)  # fmt: skip
CREDIT_SYSTEM = "13"
TRAINING_LECTURE, TRAINING_PRACTICE = "11", "13"  # h_training_type
STUDYING = "11"


@dataclass(frozen=True, slots=True)
class TermSize:
    groups_per_course: int = 5
    students_per_group: int = 26  # 4 faculties × 4 courses × 5 groups × 26 = 2,080 students
    courses: int = 4
    teachers_per_kafedra: int = 8
    mandatory_per_semester: int = 5  # plus, from semester 3, an elective block of two


@dataclass(slots=True)
class TermCounts:
    students: int = 0
    groups: int = 0
    curriculum_subjects: int = 0
    employees: int = 0
    marks: int = 0
    absences: int = 0
    lessons: int = 0  # the weekly timetable of the running semester (hemis.timetable.demo)


def running_semester(course: int, today: date) -> int:
    """1-based semester a student of `course` studies now: autumn is odd, spring even."""
    autumn = today.month >= 9 or today.month == 1
    return 2 * course - 1 if autumn else 2 * course


def pinfl_for(birth: date, male: bool, serial: int) -> str:
    """A well-formed PINFL: century/sex digit, DDMMYY, a 6-digit serial, a final digit."""
    century = (birth.year // 100) - 18  # 1800s → 0, 1900s → 1, 2000s → 2
    first = 1 + 2 * century + (0 if male else 1)
    return f"{first}{birth:%d%m%y}{serial % 1_000_000:06d}{serial % 10}"


def person(rng: random.Random, male: bool) -> tuple[str, str, str]:
    """(last name, first name, patronymic) as Uzbek documents write them."""
    stem = rng.choice(SURNAME_STEMS)
    father = rng.choice(MALE_NAMES)
    if male:
        return stem, rng.choice(MALE_NAMES), f"{father} o'g'li"
    return f"{stem}a", rng.choice(FEMALE_NAMES), f"{father} qizi"


def points(rng: random.Random, ability: float, maximum: Decimal) -> Decimal:
    """Whole points near the student's ability (0..1), within 0..maximum."""
    share = min(1.0, max(0.0, rng.gauss(ability, 0.1)))
    return Decimal(round(float(maximum) * share))


class TermSeeder:
    def __init__(self, session: AsyncSession, rng: random.Random, size: TermSize, today: date) -> None:
        self.session = session
        self.rng = rng
        self.size = size
        self.today = today
        self.year = academic_year_of(today)
        self.counts = TermCounts()
        self.subjects: dict[str, int] = {}
        self.sheet_dates: dict[int, date] = {}
        self.e_course: dict[int, bool] = {}  # teacher → keeps e-courses for what they teach
        self.serial = rng.randrange(10_000, 90_000) * 10

    async def _insert(self, model: type[Any], rows: Sequence[dict[str, Any]]) -> list[int]:
        if not rows:
            return []
        result = await self.session.execute(
            insert(model).returning(model.id, sort_by_parameter_order=True), list(rows)
        )
        return [row[0] for row in result]

    async def run(self) -> TermCounts:
        await bind_context(self.session, actor="demo", reason="demo term")
        faculties = list(
            await self.session.scalars(
                select(Department)
                .where(Department.structure_type == StructureType.FACULTY)
                .order_by(Department.id)
            )
        )
        if not faculties:  # a bare tenant (benchmarks): one faculty with one kafedra
            faculties = [await self._bare_faculty()]
        for number, faculty in enumerate(faculties, start=1):
            await self._faculty(number, faculty)
        return self.counts

    async def _bare_faculty(self) -> Department:
        [faculty_id] = await self._insert(
            Department,
            [
                {
                    "code": "F1",
                    "name": "Axborot texnologiyalari fakulteti",
                    "structure_type": StructureType.FACULTY,
                }
            ],
        )
        await self._insert(
            Department,
            [
                {
                    "code": "K1",
                    "name": "Dasturiy injiniring kafedrasi",
                    "structure_type": StructureType.KAFEDRA,
                    "parent_id": faculty_id,
                }
            ],
        )
        faculty = await self.session.get(Department, faculty_id)
        assert faculty is not None
        return faculty

    async def _subject(self, name: str, kafedra_id: int) -> int:
        if name not in self.subjects:
            code = f"S{len(self.subjects) + 1:04d}"
            [self.subjects[name]] = await self._insert(
                Subject, [{"code": code, "name": name, "department_id": kafedra_id}]
            )
        return self.subjects[name]

    async def _faculty(self, number: int, faculty: Department) -> None:
        kafedras = list(
            await self.session.scalars(
                select(Department.id).where(Department.parent_id == faculty.id).order_by(Department.id)
            )
        ) or [faculty.id]
        [specialty_id] = await self._insert(
            Specialty,
            [
                {
                    "code": f"6061{number:02d}00",
                    "name": faculty.name.replace(" fakulteti", ""),
                    "education_type": "11",
                }
            ],
        )
        teachers = await self._teachers(kafedras, number)
        for course in range(1, self.size.courses + 1):
            admitted = self.year - course + 1
            curriculum_id, lines = await self._curriculum(faculty, specialty_id, admitted, kafedras)
            for index in range(1, self.size.groups_per_course + 1):
                await self._group(faculty, number, course, index, curriculum_id, lines, teachers)

    async def _teachers(self, kafedras: list[int], faculty_number: int) -> list[int]:
        positions = (Position.ASSISTANT, Position.SENIOR_TEACHER, Position.DOCENT, Position.PROFESSOR)
        rows = []
        for kafedra in kafedras:
            for _ in range(self.size.teachers_per_kafedra):
                male = self.rng.random() < 0.6
                last, first, patronymic = person(self.rng, male)
                birth = date(self.rng.randint(1960, 1995), self.rng.randint(1, 12), self.rng.randint(1, 28))
                self.serial += 1
                rows.append(
                    {
                        "employee_id_number": f"{faculty_number:02d}{self.serial:08d}",
                        "pinfl": pinfl_for(birth, male, self.serial),
                        "last_name": last,
                        "first_name": first,
                        "patronymic": patronymic,
                        "birth_date": birth,
                        "gender": "11" if male else "12",
                        "department_id": kafedra,
                        "position": self.rng.choice(positions),
                        "employment_form": EmploymentForm.MAIN,
                        "rate": Decimal("1.0"),
                    }
                )
        ids = await self._insert(Employee, rows)
        self.counts.employees += len(ids)
        return ids

    async def _curriculum(
        self, faculty: Department, specialty_id: int, admitted: int, kafedras: list[int]
    ) -> tuple[int, list[dict[str, Any]]]:
        [curriculum_id] = await self._insert(
            Curriculum,
            [
                {
                    "name": f"{faculty.code} {admitted}",
                    "specialty_id": specialty_id,
                    "department_id": faculty.id,
                    "education_form": "11",
                    "marking_system": CREDIT_SYSTEM,
                    "admission_year": admitted,
                    "semester_count": 8,
                }
            ],
        )
        rows = []
        for semester in range(1, 9):
            count = self.size.mandatory_per_semester
            names = [SUBJECTS[(semester * count + i) % len(SUBJECTS)] for i in range(count)]
            kinds = [("11", "11.01", name) for name in names]
            if semester >= 3:
                electives = [SUBJECTS[(semester * 7 + 3 + i) % len(SUBJECTS)] for i in range(2)]
                kinds += [("12", "11.03", f"{name} (tanlov)") for name in electives]
            for subject_type, block, name in kinds:
                part = f"{name} {(semester + 1) // 2}" if subject_type == "11" else name
                rows.append(
                    {
                        "curriculum_id": curriculum_id,
                        "subject_id": await self._subject(part, self.rng.choice(kafedras)),
                        "semester": str(10 + semester),
                        "subject_type": subject_type,
                        "subject_block": block,
                        "credit": Decimal(5),  # 6 subjects × 5 = 30 credits a semester
                        "lecture_hours": 30,
                        "practice_hours": 30,
                        "independent_hours": 90,
                        "max_current": Decimal(30),
                        "max_midterm": Decimal(20),
                        "max_final": Decimal(50),
                    }
                )
        ids = await self._insert(CurriculumSubject, rows)
        self.counts.curriculum_subjects += len(ids)
        return curriculum_id, [row | {"id": line_id} for row, line_id in zip(rows, ids, strict=True)]

    async def _group(
        self,
        faculty: Department,
        faculty_number: int,
        course: int,
        index: int,
        curriculum_id: int,
        lines: list[dict[str, Any]],
        teachers: list[int],
    ) -> None:
        admitted = self.year - course + 1
        [group_id] = await self._insert(
            AcademicGroup,
            [
                {
                    "name": f"{faculty.code}-{admitted % 100:02d}{index:02d}",
                    "department_id": faculty.id,
                    "education_type": "11",
                    "education_form": "11",
                    "education_lang": "11",
                    "course": str(10 + course),
                    "admission_year": admitted,
                    "curriculum_id": curriculum_id,
                }
            ],
        )
        self.counts.groups += 1
        students = await self._students(group_id, faculty_number, course)
        abilities = {s: min(0.98, max(0.3, self.rng.gauss(0.74, 0.12))) for s in students}
        running = running_semester(course, self.today)
        taken = await self._electives(students, lines, running)
        # The previous study year and, in spring, the autumn semester: finished, with finals.
        for semester in range(max(1, 2 * course - 3), running):
            await self._past_semester(group_id, semester, running, lines, taken, abilities)
        await self._running_semester(group_id, running, lines, taken, abilities, teachers)

    async def _students(self, group_id: int, faculty_number: int, course: int) -> list[int]:
        rows, history = [], []
        for _ in range(self.size.students_per_group):
            male = self.rng.random() < 0.55
            last, first, patronymic = person(self.rng, male)
            birth = date(self.year - 17 - course, self.rng.randint(1, 12), self.rng.randint(1, 28))
            self.serial += 1
            rows.append(
                {
                    "student_id_number": f"{self.year % 100:02d}{faculty_number:02d}{self.serial:08d}",
                    "pinfl": pinfl_for(birth, male, self.serial),
                    "last_name": last,
                    "first_name": first,
                    "patronymic": patronymic,
                    "birth_date": birth,
                    "gender": "11" if male else "12",
                    "citizenship": "11",
                    "passport": f"A{'BC'[self.serial % 2]}{self.serial % 10_000_000:07d}",
                    "phone": f"+99890{self.serial % 10_000_000:07d}",
                    "group_id": group_id,
                    "payment_form": "11" if self.rng.random() < 0.25 else "12",  # state grant / contract
                    "status": STUDYING,
                    "region_code": self.rng.choices(
                        [code for code, _ in HOME_REGIONS], [weight for _, weight in HOME_REGIONS]
                    )[0],
                    "accommodation": accommodation_for(self.serial),
                }
            )
        ids = await self._insert(Student, rows)
        at = datetime.now(UTC)
        for student_id in ids:
            history.append(
                {
                    "student_id": student_id,
                    "old_status": None,
                    "new_status": STUDYING,
                    "reason": "admission",
                    "at": at,
                    "actor": "demo",
                }
            )
        await self.session.execute(insert(StudentStatusChange), history)
        self.counts.students += len(ids)
        return ids

    async def _electives(
        self, students: list[int], lines: list[dict[str, Any]], running: int
    ) -> dict[int, set[int]]:
        """Each student's taken line ids up to the running semester (one elective per block)."""
        taken: dict[int, set[int]] = {}
        choices = []
        for student in students:
            mine = set()
            for semester in range(1, running + 1):
                code = str(10 + semester)
                mine |= {ln["id"] for ln in lines if ln["semester"] == code and ln["subject_type"] != "12"}
                electives = [
                    ln["id"] for ln in lines if ln["semester"] == code and ln["subject_type"] == "12"
                ]
                if electives:
                    pick = self.rng.choice(electives)
                    mine.add(pick)
                    choices.append({"student_id": student, "curriculum_subject_id": pick})
            taken[student] = mine
        await self._insert(ElectiveChoice, choices)
        return taken

    async def _sheets(
        self, group_id: int, line_ids: list[int], controls: Sequence[tuple[str, int, date]]
    ) -> dict[tuple[int, str, int], int]:
        rows: list[dict[str, Any]] = [
            {
                "curriculum_subject_id": line_id,
                "group_id": group_id,
                "control_type": control,
                "attempt": attempt,
                "held_on": held_on,
            }
            for line_id in line_ids
            for control, attempt, held_on in controls
        ]
        ids = await self._insert(MarkSheet, rows)
        self.sheet_dates.update((sheet_id, row["held_on"]) for row, sheet_id in zip(rows, ids, strict=True))
        return {
            (row["curriculum_subject_id"], row["control_type"], row["attempt"]): sheet_id
            for row, sheet_id in zip(rows, ids, strict=True)
        }

    async def _marks(self, rows: list[dict[str, Any]]) -> None:
        """Marks as teachers enter them: most within a day or two of the control, some late."""
        for row in rows:
            late = self.rng.random() < 0.08
            held = self.sheet_dates[row["sheet_id"]]
            entered = datetime.combine(held, datetime.min.time(), UTC) + timedelta(
                hours=self.rng.randint(72, 400) if late else self.rng.randint(2, 40)
            )
            row["created_at"] = row["updated_at"] = min(entered, datetime.now(UTC))
        if rows:
            await self.session.execute(insert(Mark), rows)
            self.counts.marks += len(rows)

    async def _past_semester(
        self,
        group_id: int,
        semester: int,
        running: int,
        lines: list[dict[str, Any]],
        taken: dict[int, set[int]],
        abilities: dict[int, float],
    ) -> None:
        code = str(10 + semester)
        mine = [ln for ln in lines if ln["semester"] == code]
        # The final of a semester k semesters back was held about half a year per semester ago.
        held = self.today - timedelta(days=182 * (running - semester) - 40)
        sheets = await self._sheets(
            group_id,
            [ln["id"] for ln in mine],
            [("JN", 1, held - timedelta(days=14)), ("ON", 1, held - timedelta(days=40)), ("YN", 1, held)],
        )
        rows, retakes = [], []
        for line in mine:
            for student, ability in abilities.items():
                if line["id"] not in taken[student]:
                    continue
                jn, on, yn = (
                    points(self.rng, ability, line[f]) for f in ("max_current", "max_midterm", "max_final")
                )
                for control, value in (("JN", jn), ("ON", on), ("YN", yn)):
                    rows.append(
                        {"sheet_id": sheets[(line["id"], control, 1)], "student_id": student, "points": value}
                    )
                if jn + on + yn < 60:
                    retakes.append((line, student, ability, jn + on))
        await self._marks(rows)
        # Most debtors retake the final a few weeks later; some stay in debt.
        retake_lines = sorted({line["id"] for line, *_ in retakes})
        if retake_lines:
            again = await self._sheets(group_id, retake_lines, [("YN", 2, held + timedelta(days=21))])
            await self._marks(
                [
                    {
                        "sheet_id": again[(line["id"], "YN", 2)],
                        "student_id": student,
                        "points": points(self.rng, min(1.0, ability + 0.2), line["max_final"]),
                    }
                    for line, student, ability, _ in retakes
                ]
            )

    async def _running_semester(
        self,
        group_id: int,
        semester: int,
        lines: list[dict[str, Any]],
        taken: dict[int, set[int]],
        abilities: dict[int, float],
        teachers: list[int],
    ) -> None:
        code = str(10 + semester)
        mine = [ln for ln in lines if ln["semester"] == code]
        # Who teaches: a lecturer and a practice teacher per subject for this group.
        assignments = [
            {
                "employee_id": self.rng.choice(teachers),
                "curriculum_subject_id": line["id"],
                "group_id": group_id,
                "training_type": training,
            }
            for line in mine
            for training in (TRAINING_LECTURE, TRAINING_PRACTICE)
        ]
        for row in assignments:
            teacher = row["employee_id"]
            if self.e_course.setdefault(teacher, self.rng.random() < 0.7):
                row["e_course_url"] = (
                    f"https://lms.example.uz/course/view.php?id={row['curriculum_subject_id']}"
                )
        await self._insert(TeachingAssignment, assignments)
        sheets = await self._sheets(
            group_id,
            [ln["id"] for ln in mine],
            [("JN", 1, self.today - timedelta(days=1)), ("ON", 1, self.today - timedelta(days=20))],
        )
        rows, absences = [], []
        for line in mine:
            for student, ability in abilities.items():
                if line["id"] not in taken[student]:
                    continue
                for control, maximum in (("JN", line["max_current"]), ("ON", line["max_midterm"])):
                    rows.append(
                        {
                            "sheet_id": sheets[(line["id"], control, 1)],
                            "student_id": student,
                            "points": points(self.rng, ability, maximum),
                        }
                    )
                missed = self.rng.choice((0, 0, 0, 0, 1, 1, 2, 3, 5)) + (4 if ability < 0.45 else 0)
                for day in self.rng.sample(range(1, 75), missed):
                    excused = self.rng.random() < 0.3
                    absences.append(
                        {
                            "student_id": student,
                            "curriculum_subject_id": line["id"],
                            "lesson_date": self.today - timedelta(days=day),
                            "lesson_pair": self.rng.randint(1, 4),
                            "training_type": self.rng.choice((TRAINING_LECTURE, TRAINING_PRACTICE)),
                            "hours": 2,
                            "excuse_document": f"Ma'lumotnoma №{self.rng.randint(100, 999)}"
                            if excused
                            else None,
                            "excused_by": "dekanat" if excused else None,
                        }
                    )
        await self._marks(rows)
        if absences:
            await self.session.execute(insert(Absence), absences)
            self.counts.absences += len(absences)


async def seed_term(
    session: AsyncSession, *, seed: int = 2026, size: TermSize | None = None, today: date | None = None
) -> TermCounts:
    """Fill one university (its faculties, or a bare faculty) with a term; the caller commits."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    today = today or date.today()
    counts = await TermSeeder(session, rng, size or TermSize(), today).run()
    counts.lessons = await seed_timetable(session, today=today)
    return counts
