"""Imports every context's models: the full metadata for Alembic and the admin codegen."""

from hemis.access import models as access_models
from hemis.attendance import models as attendance_models
from hemis.classifiers import models as classifiers_models
from hemis.core import audit as core_audit
from hemis.curriculum import models as curriculum_models
from hemis.finance import models as finance_models
from hemis.grading import models as grading_models
from hemis.guardians import models as guardians_models
from hemis.identity import models as identity_models
from hemis.institution import models as institution_models
from hemis.notifications import models as notifications_models
from hemis.results import models as results_models
from hemis.rollups import models as rollups_models
from hemis.staff import models as staff_models
from hemis.stipends import models as stipends_models
from hemis.structure import models as structure_models
from hemis.students import models as students_models
from hemis.support import models as support_models
from hemis.timetable import models as timetable_models
from hemis.trajectory import models as trajectory_models
from tenants import models as tenants_models

__all__ = [
    "access_models",
    "attendance_models",
    "classifiers_models",
    "core_audit",
    "curriculum_models",
    "finance_models",
    "grading_models",
    "guardians_models",
    "identity_models",
    "institution_models",
    "notifications_models",
    "results_models",
    "rollups_models",
    "staff_models",
    "stipends_models",
    "structure_models",
    "students_models",
    "support_models",
    "tenants_models",
    "timetable_models",
    "trajectory_models",
]
