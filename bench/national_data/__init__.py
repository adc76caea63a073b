"""The national dataset (issue 7): 225 universities, 1.45 million students, ~40 marks each.

    uv run python -m bench.national_data [--tenants 225] [--students 1450000] [--marks 40]
                                         [--parallel 2] [--seed 1] [--today 2026-12-01] [--reuse]

Builds, in the private database of `bench.common.bench_database("national")` (parameters
other than the defaults get a database of their own, so a trial never drops the full build:
dataset.database_name), the platform, the ministry (`national`, as hemis.demo makes it) and
universities u001…u225, each with its profile (h_soato region: Tashkent city has the most; a realistic name) and one running
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
contract / 30 % state grant (private universities almost all contract); gender by field (pedagogy
and philology mostly women, engineering mostly men); ~1.7 % foreign citizens; the home region
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
path), then filled in ONE transaction of its own with binary COPY, in --parallel worker
processes, largest universities first; marks are generated while they stream to the server.
The load runs as the superuser owner with `session_replication_role = replica`, which skips
triggers and foreign-key checks: in particular the grade history trigger does not run, so
`grade_event` stays empty (`hemis grades verify` lists every mark as disagreeing with its
empty history), and no audit rows are written. The tables are truncated (empty anyway) in that transaction so
that COPY may FREEZE: rows go in frozen and all-visible, as in a settled database, with no
VACUUM to follow. mark and absence get their indexes and keys after their rows. Ids are
explicit per tenant and the identity sequences are set after the load, so the app inserts
next to the data. Each university is ANALYZEd after its commit.

--reuse: a completed build records its parameters, the generator's version and the role
prefix in `bench_meta.national_dataset`, written last; with --reuse a database holding a
complete dataset of the same parameters is kept (the shared tree and tenants are migrated to
head if the code moved on) and the build is skipped. Without --reuse it is rebuilt.

Other benches: `await national_dataset(NationalParams(...), reuse=True)` returns the settings
(database URL and role prefix) and the university codes (the ministry is NATIONAL_CODE).

Modules: vocabulary (names, fields, codes, shares), plan (the universities and the persons they
share), university (one university's rows), finance (its contracts and ledger), load (COPY),
dataset (the whole country, the marker, --reuse), __main__ (the command).
"""

from bench.national_data.dataset import NATIONAL_CODE, NationalDataset, national_dataset
from bench.national_data.plan import NationalParams

__all__ = ["NATIONAL_CODE", "NationalDataset", "NationalParams", "national_dataset"]
