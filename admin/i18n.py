"""The console's own words in Uzbek (Latin), the default; piccolo-admin ships Russian and English.

Column labels, help texts and menu group names are not piccolo's words: admin.labels answers
them in the person's language. Table names in the menu and page titles still come from the
table names ("grading scale"): piccolo's page derives them itself.
"""

from __future__ import annotations

from piccolo_admin.translations.data import ENGLISH, RUSSIAN
from piccolo_admin.translations.models import Translation

UZBEK = Translation(
    language_name="O'zbekcha",
    language_code="uz",
    translations={
        "About": "Tizim haqida",
        "Add Row": "Qator qo'shish",
        "Add": "Qo'shish",
        "Apply": "Qo'llash",
        "Ascending": "O'sish bo'yicha",
        "Back to home page": "Bosh sahifaga qaytish",
        "Back": "Orqaga",
        "Change Password": "Parolni o'zgartirish",
        "Clear filters": "Filtrlarni tozalash",
        "Close": "Yopish",
        "Comma": "Vergul",
        "Create": "Yaratish",
        "Current password": "Joriy parol",
        "Dark Mode": "Tungi rejim",
        "Days": "Kunlar",
        "Delete": "O'chirish",
        "Delimiter": "Ajratuvchi",
        "Descending": "Kamayish bo'yicha",
        "Download": "Yuklab olish",
        "Download failed": "Yuklab olib bo'lmadi",
        "Download successful": "Yuklab olindi",
        "Edit": "Tahrirlash",
        "Export CSV": "CSV ga eksport",
        "Filter": "Filtr",
        "For timestamps which are timezone aware, they will be displayed in this timezone by default.": (
            "Vaqt zonasi ko'rsatilgan vaqtlar sukut bo'yicha shu zonada ko'rsatiladi."
        ),
        "Form submitted": "Shakl yuborildi",
        "Forms": "Shakllar",
        "Hide Filters": "Filtrlarni yashirish",
        "Hide referencing tables": "Bog'liq jadvallarni yashirish",
        "Home": "Bosh sahifa",
        "Hours": "Soatlar",
        "Light Mode": "Kunduzgi rejim",
        "Links": "Havolalar",
        "Loading": "Yuklanmoqda",
        "Log Out": "Chiqish",
        "Login": "Kirish",
        "MFA Code": "Tasdiqlash kodi",
        "MFA Setup": "Ikkinchi omilni sozlash",
        "Minutes": "Daqiqalar",
        "New password confirmation": "Yangi parolni tasdiqlang",
        "New password": "Yangi parol",
        "New value": "Yangi qiymat",
        "No results found": "Hech narsa topilmadi",
        "Note: Large data sets may take a while.": "Eslatma: katta hajmdagi ma'lumotlar vaqt oladi.",
        "Note: They are converted to UTC when stored in the database.": (
            "Eslatma: bazaga yozilganda UTC ga o'tkaziladi."
        ),
        "of": "dan",
        "page": "sahifa",
        "Password": "Parol",
        "result(s)": "natija",
        "rows": "qator",
        "Save": "Saqlash",
        "Seconds": "Soniyalar",
        "Select a column to update": "Yangilanadigan ustunni tanlang",
        "Select a Column": "Ustunni tanlang",
        "Select a table in the sidebar to get started.": "Boshlash uchun chap tomondan jadvalni tanlang.",
        "selected result(s) on": "ta tanlangan natija,",
        "Semicolon": "Nuqtali vergul",
        "Set Timezone": "Vaqt zonasini tanlash",
        "Show Filters": "Filtrlarni ko'rsatish",
        "Show referencing tables": "Bog'liq jadvallarni ko'rsatish",
        "Showing": "Ko'rsatilmoqda",
        "Sort by": "Saralash",
        "Sort": "Saralash",
        "Submit": "Yuborish",
        "Tables": "Jadvallar",
        "Timezone": "Vaqt zonasi",
        "Thanks for using Piccolo Admin.": "hemis boshqaruv paneli.",
        "Update": "Yangilash",
        "Use again": "Qayta ishlatish",
        "Username": "Foydalanuvchi nomi",
        "Version": "Versiya",
        "Weeks": "Haftalar",
        "Welcome to": "Xush kelibsiz:",
        "with a matching": "mos keluvchi",
    },
)

TRANSLATIONS = [UZBEK, RUSSIAN, ENGLISH]
