"""THE route list: one line per context."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from admin.app import admin_console
from hemis.access.controller import AccessController
from hemis.attendance.controller import AttendanceController
from hemis.classifiers.controller import ClassifierController
from hemis.curriculum.controller import CurriculumController, SpecialtyController, SubjectController
from hemis.finance.controller import ContractVerificationController, FinanceController
from hemis.finance.payment_controller import PaymentController, PaymentWebhookController
from hemis.grading.controller import GradingController
from hemis.guardians.controller import GuardianController
from hemis.health.controller import HealthController
from hemis.identity.controller import (
    AuthController,
    IdentityProviderController,
    SsoController,
    UserController,
)
from hemis.institution.controller import InstitutionController
from hemis.notifications.controller import NotificationController
from hemis.portal.guardian_pages import GuardianPages
from hemis.portal.journal_pages import JournalPages
from hemis.portal.pages import PortalAssets, PortalPages
from hemis.portal.timetable_pages import TimetableEditorPages
from hemis.reporting.controller import (
    DashboardController,
    HemisStatisticsController,
    NationalController,
    PublicStatisticsController,
)
from hemis.reporting.pages import DashboardPages
from hemis.results.controller import ResultController
from hemis.staff.controller import AssignmentController, EmployeeController
from hemis.stipends.controller import StipendController
from hemis.structure.controller import AuditoriumController, BuildingController, DepartmentController
from hemis.students.controller import GroupController, StudentController
from hemis.support.controller import PlatformController, SupportAccessController
from hemis.timetable.controller import TimetableController
from hemis.timetable.pages import TimetablePages
from hemis.trajectory.controller import TrajectoryController

ROUTES: list[ControllerRouterHandler] = [
    HealthController,
    admin_console,
    ClassifierController,
    InstitutionController,
    AccessController,
    AuthController,
    UserController,
    SsoController,
    IdentityProviderController,
    PlatformController,
    SupportAccessController,
    DepartmentController,
    BuildingController,
    AuditoriumController,
    GroupController,
    StudentController,
    GuardianController,
    SpecialtyController,
    SubjectController,
    CurriculumController,
    GradingController,
    EmployeeController,
    AssignmentController,
    AttendanceController,
    TrajectoryController,
    ResultController,
    NotificationController,
    FinanceController,
    ContractVerificationController,
    PaymentController,
    PaymentWebhookController,
    StipendController,
    TimetableController,
    TimetablePages,
    NationalController,
    DashboardController,
    PublicStatisticsController,
    HemisStatisticsController,
    DashboardPages,
    PortalAssets,
    PortalPages,
    JournalPages,
    GuardianPages,
    TimetableEditorPages,
]
