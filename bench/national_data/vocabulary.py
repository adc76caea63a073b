"""The national dataset's vocabulary: regions, fields of study, names, classifier codes, shares."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from hemis.term_demo import SUBJECTS

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
FOREIGN_FEE_TIYIN = 3_800_000_000  # 38 million so'm a year
FEE_COEFFICIENT = {  # × BHM a year, first course, full-time bachelor's
    "it": 36, "ped": 26, "phil": 27, "eco": 32, "eng": 30, "med": 52, "agr": 24, "law": 34, "nat": 28, "math": 27,
    "arch": 33, "tour": 30, "art": 31, "sport": 25,
}  # fmt: skip
