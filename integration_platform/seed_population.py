"""The bulk of the development HIS, generated deterministically: more departments and
doctors, 190 more patients, their unpaid bills and their reports (abnormal values included).

The same rows come out on every machine and every run (a fixed random seed), so seeding is
idempotent by primary key. The demo patients of the README get nothing from here.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from integration_platform.seed_data import DEMO_PATIENTS, DEPARTMENTS, EXTRA_PATIENTS
from servicekit import idcard, money

_RNG_SEED = 20261126
PATIENT_TOTAL = 200
DOCTOR_TOTAL = 80

# dept_code, name, parent_code, intro, location
MORE_DEPARTMENTS = (
    ("D0104", "内分泌科", "D01", "糖尿病、甲状腺疾病、骨质疏松", "门诊楼2层D区"),
    ("D0105", "神经内科", "D01", "脑血管病、头痛、癫痫", "门诊楼2层E区"),
    ("D0106", "肾内科", "D01", "肾炎、慢性肾病、透析", "门诊楼2层F区"),
    ("D0203", "泌尿外科", "D02", "泌尿系结石、前列腺疾病", "门诊楼3层C区"),
    ("D0204", "神经外科", "D02", "颅脑损伤、脑肿瘤", "门诊楼3层D区"),
    ("D07", "耳鼻咽喉科", None, "鼻炎、咽喉炎、听力障碍", "门诊楼5层C区"),
    ("D08", "口腔科", None, "牙体牙髓、牙周、口腔修复", "门诊楼6层"),
    ("D09", "中医科", None, "中医内科、针灸推拿", "门诊楼1层中医区"),
    ("D10", "康复医学科", None, "运动康复、神经康复", "康复楼1层"),
)
_ALL_DEPARTMENTS = (*DEPARTMENTS, *MORE_DEPARTMENTS)
# The departments that hold clinics: those without sub-departments.
_CLINICS = sorted(
    row[0] for row in _ALL_DEPARTMENTS if not any(other[2] == row[0] for other in _ALL_DEPARTMENTS)
)
# title and level (fees.LEVELS) of the generated doctors, in turn
_TITLES = (
    ("主任医师", "CHIEF"),
    ("主任医师", "EXPERT"),
    ("副主任医师", "ASSOCIATE"),
    ("副主任医师", "ASSOCIATE"),
    ("主治医师", "GENERAL"),
    ("主治医师", "GENERAL"),
    ("住院医师", "GENERAL"),
)
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华文慧建国志红平刚桂兰玉梅海燕雪晨宇欣怡浩然子涵佳琪"
)
# Region codes of the patients' ID cards (districts of four cities).
_REGIONS = (
    *("110101", "110102", "110105", "110106", "110108", "310101", "310104", "310115"),
    *("440303", "440304", "440305", "320102", "320105", "330106"),
)

# item_code, name, spec, unit_price_fen, insurance_class, list_code
BILL_ITEMS = {
    "PRESCRIPTION": (
        ("YP0101", "二甲双胍缓释片", "0.5g*30片", 2380, "A", "XA10BAE054A010010101234"),
        ("YP0102", "氨氯地平片", "5mg*28片", 3120, "A", "XC08CAA028A001010104471"),
        ("YP0103", "瑞舒伐他汀钙片", "10mg*28片", 4560, "B", "XC10AAR202A001010103321"),
        ("YP0104", "奥美拉唑肠溶胶囊", "20mg*14粒", 1890, "B", "XA02BCA211E001010100932"),
        ("YP0105", "复方甘草口服溶液", "100ml", 1250, "C", "ZR05XXX000A001010100011"),
        ("YP0106", "维生素D滴剂", "400IU*24粒", 3600, "C", "ZA11XXX000A001010100012"),
    ),
    "EXAM": (
        ("JC0101", "胸部正位X线摄影", "次", 8000, "A", "002101000010000-210102015"),
        ("JC0102", "腹部彩色多普勒超声", "次", 18000, "A", "002206000010000-220600002"),
        ("JC0103", "头颅CT平扫", "次", 28000, "B", "002103000010000-210300001"),
        ("JC0104", "胶片及光盘", "张", 1500, "C", "ZC00XXX000A001010100004"),
    ),
    "LAB": (
        ("JY0101", "血常规五分类", "次", 2500, "A", "002501000010000-250101016"),
        ("JY0102", "肝功能八项", "次", 6400, "A", "002503000010000-250305001"),
        ("JY0103", "糖化血红蛋白测定", "次", 7000, "B", "002503000250000-250307011"),
        ("JY0104", "肿瘤标志物筛查", "次", 16000, "C", "ZC25XXX000A001010100005"),
    ),
}

# title, specimen, items: (code, name, unit, low, high) in tenths so no float is ever made
LAB_PANELS = (
    (
        "血常规",
        "全血",
        (("WBC", "白细胞计数", "10^9/L", 35, 95), ("HGB", "血红蛋白", "g/L", 1150, 1750)),
    ),
    (
        "肝功能",
        "血清",
        (
            ("ALT", "丙氨酸氨基转移酶", "U/L", 90, 500),
            ("AST", "天门冬氨酸氨基转移酶", "U/L", 150, 400),
        ),
    ),
    (
        "血糖",
        "血浆",
        (("GLU", "空腹血糖", "mmol/L", 39, 61), ("HBA1C", "糖化血红蛋白", "%", 40, 60)),
    ),
    (
        "肾功能",
        "血清",
        (("CREA", "肌酐", "μmol/L", 570, 1110), ("UA", "尿酸", "μmol/L", 2080, 4280)),
    ),
)
# title, modality, body_part, (findings, conclusion) normal, (findings, conclusion) abnormal
EXAM_KINDS = (
    ("胸部正位片", "DR", "胸部", ("双肺纹理清晰，心膈未见异常。", "胸部未见明显异常。"),
     ("右下肺野见斑片状模糊影。", "右下肺炎症可能，建议复查。")),
    ("腹部彩超", "US", "腹部", ("肝胆胰脾肾未见明显异常。", "腹部超声未见异常。"),
     ("肝实质回声增强，后方衰减。", "脂肪肝（轻度）。")),
    ("头颅CT平扫", "CT", "头颅", ("脑实质密度均匀，脑室系统无扩大。", "颅内未见明显异常。"),
     ("左侧基底节区见小片状低密度影。", "左基底节区腔隙性脑梗死。")),
)  # fmt: skip


def _tenths(value: int) -> str:
    return f"{value // 10}.{value % 10}"


def generated_doctors(first_number: int) -> list[tuple[str, str, str, str, str, str]]:
    """Doctors numbered from first_number up to DOCTOR_TOTAL, spread over every clinic."""
    rng = random.Random(_RNG_SEED)
    rows = []
    for number in range(first_number, DOCTOR_TOTAL + 1):
        dept = _CLINICS[number % len(_CLINICS)]
        title, level = _TITLES[number % len(_TITLES)]
        name = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(("", *_GIVEN))
        rows.append((f"DR{number:03d}", name, title, dept, "门诊常见病、多发病", level))
    return rows


def _id_card(rng: random.Random, taken: set[str], gender: str) -> tuple[str, date]:
    while True:
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 80))
        seq = rng.randrange(300, 499) * 2 + (1 if gender == "M" else 0)  # 600-997, odd for men
        first17 = f"{rng.choice(_REGIONS)}{born:%Y%m%d}{seq:03d}"
        number = idcard.complete(first17)
        insurance_key = number[:2] + number[6:]  # what the center's psn_no is made from
        if number not in taken and insurance_key not in taken:
            taken.update({number, insurance_key})
            return number, born


def generated_patients() -> list[tuple[Any, ...]]:
    """Patients numbered after the listed ones up to PATIENT_TOTAL: employees, residents and
    self-payers, as DEMO_PATIENTS rows (patient_id, mrn, id_card_no, ..., insured)."""
    rng = random.Random(_RNG_SEED + 1)
    taken = {p[2] for p in DEMO_PATIENTS} | {idcard.complete(p[2]) for p in EXTRA_PATIENTS}
    taken |= {n[:2] + n[6:] for n in taken}
    rows: list[tuple[Any, ...]] = []
    for number in range(len(DEMO_PATIENTS) + len(EXTRA_PATIENTS) + 1, PATIENT_TOTAL + 1):
        gender = rng.choice("MF")
        id_card_no, born = _id_card(rng, taken, gender)
        kind = ("EMPLOYEE", "EMPLOYEE", "RESIDENT", "RESIDENT", "SELF_PAY")[number % 5]
        name = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(("", *_GIVEN))
        phone = f"139{number:08d}"
        rows.append(
            (
                f"P{number:08d}",
                f"M{number:08d}",
                id_card_no,
                name,
                gender,
                born.isoformat(),
                phone,
                kind,
                kind != "SELF_PAY",
            )
        )
    return rows


def generated_bills(mrns: list[str], doctors: list[tuple[str, ...]]) -> list[tuple[Any, ...]]:
    """Unpaid bills (rows as seed_data.BILLS) for every third patient, mixing classes A/B/C."""
    rng = random.Random(_RNG_SEED + 2)
    rows: list[tuple[Any, ...]] = []
    for index, mrn in enumerate(mrns):
        if index % 3:
            continue
        doctor = doctors[index % len(doctors)]
        visit_no = f"V{int(mrn[1:]) + 10000000:08d}"
        for kind in rng.sample(sorted(BILL_ITEMS), rng.choice((1, 2))):
            chosen = rng.sample(BILL_ITEMS[kind], 3)
            items = tuple(
                (code, name, spec, rng.choice((1, 1, 2)), price, klass, list_code)
                for code, name, spec, price, klass, list_code in chosen
            )
            bill_no = f"B{10000000 + len(rows) + 1:08d}"
            rows.append(
                (bill_no, visit_no, mrn, doctor[3], doctor[0], kind, rng.randrange(0, 4), items)
            )
    return rows


def _lab_value(rng: random.Random, low: int, high: int) -> tuple[str, str]:
    roll = rng.random()
    if roll < 0.2:
        return _tenths(high + rng.randrange(1, max(2, high // 4))), "H"
    if roll < 0.3 and low > 10:
        return _tenths(low - rng.randrange(1, max(2, low // 5))), "L"
    return _tenths(rng.randrange(low, high + 1)), ""


def generated_lab_reports(mrns: list[str]) -> list[tuple[Any, ...]]:
    """Lab reports (rows as seed_data.LAB_REPORTS) for every other patient, some abnormal,
    one in five older than six months."""
    rng = random.Random(_RNG_SEED + 3)
    rows: list[tuple[Any, ...]] = []
    for index, mrn in enumerate(mrns):
        if index % 2:
            continue
        title, specimen, panel = LAB_PANELS[index % len(LAB_PANELS)]
        items = tuple(
            (code, name, *_value_pair(rng, low, high, unit))
            for code, name, unit, low, high in panel
        )
        days_ago = rng.randrange(1, 170) if index % 5 else rng.randrange(190, 300)
        report_id = f"LR{10000000 + len(rows) + 1:08d}"
        visit_no = f"V{int(mrn[1:]) + 20000000:08d}"
        rows.append((report_id, mrn, visit_no, title, "D0101", specimen, days_ago, items))
    return rows


def _value_pair(rng: random.Random, low: int, high: int, unit: str) -> tuple[str, str, str, str]:
    value, flag = _lab_value(rng, low, high)
    return value, unit, f"{_tenths(low)}-{_tenths(high)}", flag


def generated_exam_reports(mrns: list[str]) -> list[tuple[Any, ...]]:
    """Exam reports (rows as seed_data.EXAM_REPORTS) for every fourth patient."""
    rng = random.Random(_RNG_SEED + 4)
    rows: list[tuple[Any, ...]] = []
    for index, mrn in enumerate(mrns):
        if index % 4:
            continue
        title, modality, part, normal, abnormal = EXAM_KINDS[index % len(EXAM_KINDS)]
        findings, conclusion = abnormal if rng.random() < 0.4 else normal
        report_id = f"ER{10000000 + len(rows) + 1:08d}"
        visit_no = f"V{int(mrn[1:]) + 30000000:08d}"
        dept = ("D0102", "D0103", "D0105")[index % 3]
        days_ago = rng.randrange(1, 175)
        rows.append(
            (report_id, mrn, visit_no, title, dept, modality, part, findings, conclusion, days_ago)
        )
    return rows


def insured_persons(patients: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The insurance center's records of the insured patients given (rows as DEMO_PATIENTS),
    as simulators/insurance_center/persons_extra.json holds them; balances in yuan strings."""
    persons = []
    for index, (_pid, _mrn, number, name, gender, birth, _phone, kind, insured) in enumerate(
        patients
    ):
        if not insured:
            continue
        employee = kind == "EMPLOYEE"
        balance_fen = (20000 + index * 3731 % 180000) if employee else 0
        persons.append(
            {
                "psn_no": f"{number[:2]}0000{number[6:].replace('X', '0')}00",
                "psn_name": name,
                "certno": number,
                "psn_cert_type": "01",
                "gend": "1" if gender == "M" else "2",
                "brdy": birth,
                "naty": "01",
                "insutype": "310" if employee else "390",
                "psn_type": "1101" if employee else "1401",
                "insuplc_admdvs": "110105",
                "emp_name": "示范市企业职工" if employee else "",
                "has_account": employee,
                "balc": money.fen_to_yuan(balance_fen),
            }
        )
    return persons
