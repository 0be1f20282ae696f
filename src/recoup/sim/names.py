"""Names of people and companies, drawn column-wise per locale, with an ASCII form for e-mail addresses."""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from recoup.sim.columns import Codes, Mask, assemble, choose, concat, groups, pick
from recoup.sim.reference import COUNTRIES

# (surname, pinyin, share in percent): the commonest Chinese surnames with rough population shares.
CN_SURNAMES: Final = (
    ("王", "wang", 7.1), ("李", "li", 7.0), ("张", "zhang", 6.7), ("刘", "liu", 5.4), ("陈", "chen", 4.5),
    ("杨", "yang", 3.1), ("黄", "huang", 2.2), ("赵", "zhao", 2.0), ("吴", "wu", 2.0), ("周", "zhou", 1.9),
    ("徐", "xu", 1.5), ("孙", "sun", 1.4), ("马", "ma", 1.3), ("朱", "zhu", 1.3), ("胡", "hu", 1.2),
    ("郭", "guo", 1.1), ("何", "he", 1.1), ("高", "gao", 1.0), ("林", "lin", 1.0), ("罗", "luo", 0.9),
    ("郑", "zheng", 0.9), ("梁", "liang", 0.8), ("谢", "xie", 0.7), ("宋", "song", 0.7), ("唐", "tang", 0.7),
    ("许", "xu", 0.6), ("韩", "han", 0.6), ("冯", "feng", 0.6), ("邓", "deng", 0.6), ("曹", "cao", 0.6),
    ("彭", "peng", 0.5), ("曾", "zeng", 0.5), ("肖", "xiao", 0.5), ("田", "tian", 0.5), ("董", "dong", 0.5),
    ("袁", "yuan", 0.4), ("潘", "pan", 0.4), ("于", "yu", 0.4), ("蒋", "jiang", 0.4), ("蔡", "cai", 0.4),
    ("余", "yu", 0.4), ("杜", "du", 0.4), ("叶", "ye", 0.4), ("程", "cheng", 0.4), ("苏", "su", 0.3),
    ("魏", "wei", 0.3), ("吕", "lv", 0.3), ("丁", "ding", 0.3), ("任", "ren", 0.3), ("沈", "shen", 0.3),
    ("姚", "yao", 0.3), ("卢", "lu", 0.3), ("姜", "jiang", 0.3), ("崔", "cui", 0.3), ("钟", "zhong", 0.3),
    ("谭", "tan", 0.3), ("陆", "lu", 0.3), ("汪", "wang", 0.3), ("范", "fan", 0.3), ("金", "jin", 0.3),
    ("石", "shi", 0.3), ("廖", "liao", 0.3), ("贾", "jia", 0.3), ("夏", "xia", 0.2), ("韦", "wei", 0.2),
    ("方", "fang", 0.2), ("白", "bai", 0.2), ("邹", "zou", 0.2), ("孟", "meng", 0.2), ("熊", "xiong", 0.2),
    ("秦", "qin", 0.2), ("邱", "qiu", 0.2), ("江", "jiang", 0.2), ("尹", "yin", 0.2), ("薛", "xue", 0.2),
    ("段", "duan", 0.2), ("雷", "lei", 0.2), ("侯", "hou", 0.2), ("龙", "long", 0.2), ("史", "shi", 0.2),
    ("欧阳", "ouyang", 0.05), ("司马", "sima", 0.01), ("诸葛", "zhuge", 0.01), ("上官", "shangguan", 0.01),
)  # fmt: skip

CN_GIVEN_MALE: Final = (
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("勇", "yong"), ("杰", "jie"),
    ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("刚", "gang"), ("平", "ping"), ("辉", "hui"),
    ("鹏", "peng"), ("华", "hua"), ("飞", "fei"), ("鑫", "xin"), ("波", "bo"), ("斌", "bin"),
    ("宇", "yu"), ("浩", "hao"), ("凯", "kai"), ("健", "jian"), ("俊", "jun"), ("帆", "fan"),
    ("旭", "xu"), ("宁", "ning"), ("龙", "long"), ("林", "lin"), ("阳", "yang"), ("建", "jian"),
    ("国", "guo"), ("志", "zhi"), ("文", "wen"), ("博", "bo"), ("子", "zi"), ("轩", "xuan"),
    ("晨", "chen"), ("瑞", "rui"), ("海", "hai"), ("峰", "feng"), ("东", "dong"), ("亮", "liang"),
)  # fmt: skip

CN_GIVEN_FEMALE: Final = (
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("艳", "yan"),
    ("娟", "juan"), ("霞", "xia"), ("燕", "yan"), ("玲", "ling"), ("桂", "gui"), ("英", "ying"),
    ("秀", "xiu"), ("兰", "lan"), ("婷", "ting"), ("雪", "xue"), ("慧", "hui"), ("琳", "lin"),
    ("晶", "jing"), ("倩", "qian"), ("颖", "ying"), ("璐", "lu"), ("欣", "xin"), ("怡", "yi"),
    ("佳", "jia"), ("梅", "mei"), ("红", "hong"), ("萍", "ping"), ("莉", "li"), ("洁", "jie"),
    ("琴", "qin"), ("云", "yun"), ("蕾", "lei"), ("薇", "wei"), ("悦", "yue"), ("涵", "han"),
    ("诗", "shi"), ("雨", "yu"), ("梓", "zi"), ("萱", "xuan"),
)  # fmt: skip

CN_BRANDS: Final = (
    ("鑫盛", "xinsheng"), ("宏达", "hongda"), ("华联", "hualian"), ("永兴", "yongxing"), ("恒通", "hengtong"),
    ("金鼎", "jinding"), ("瑞丰", "ruifeng"), ("佳禾", "jiahe"), ("天成", "tiancheng"), ("万隆", "wanlong"),
    ("嘉和", "jiahe"), ("顺发", "shunfa"), ("德胜", "desheng"), ("汇通", "huitong"), ("富源", "fuyuan"),
    ("兴业", "xingye"), ("联创", "lianchuang"), ("新亿", "xinyi"), ("利达", "lida"), ("众诚", "zhongcheng"),
)  # fmt: skip
CN_INDUSTRIES: Final = (
    "商贸", "餐饮管理", "建材", "物流", "电子科技", "服装", "农业科技", "装饰工程", "食品", "汽车服务",
)  # fmt: skip

EN_GIVEN_MALE: Final = (
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Christopher",
    "Daniel", "Matthew", "Anthony", "Mark", "Steven", "Paul", "Andrew", "Joshua", "George", "Oliver",
)  # fmt: skip
EN_GIVEN_FEMALE: Final = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
    "Emily", "Emma", "Olivia", "Sophie", "Charlotte", "Amelia", "Grace", "Laura", "Rachel", "Hannah",
)  # fmt: skip

# Per country: (male given names, female given names, surnames).
WESTERN_NAMES: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]] = {
    "US": (EN_GIVEN_MALE, EN_GIVEN_FEMALE, (
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
        "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson",
        "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young",
        "Allen", "King",
    )),
    "GB": (EN_GIVEN_MALE, EN_GIVEN_FEMALE, (
        "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
        "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
        "Patel", "Khan", "Hughes", "Edwards", "Lewis", "Murphy", "Campbell", "Stewart",
    )),
    "DE": (
        ("Lukas", "Leon", "Felix", "Jonas", "Paul", "Maximilian", "Thomas", "Michael", "Stefan", "Andreas"),
        ("Anna", "Lena", "Julia", "Sarah", "Laura", "Katharina", "Sabine", "Claudia", "Monika", "Sophie"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
         "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann"),
    ),
    "FR": (
        ("Jean", "Pierre", "Nicolas", "Julien", "Thomas", "Antoine", "Louis", "Hugo", "Lucas", "Mathieu"),
        ("Marie", "Camille", "Léa", "Manon", "Chloé", "Julie", "Sophie", "Isabelle", "Nathalie", "Claire"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
         "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux"),
    ),
    "ES": (
        ("Antonio", "José", "Manuel", "Francisco", "David", "Javier", "Daniel", "Carlos", "Jesús",
         "Alejandro"),
        ("María", "Carmen", "Ana", "Isabel", "Laura", "Lucía", "Cristina", "Marta", "Elena", "Sara"),
        ("García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
         "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Álvarez", "Romero", "Navarro"),
    ),
    "IT": (
        ("Giuseppe", "Giovanni", "Antonio", "Mario", "Luigi", "Francesco", "Marco", "Alessandro", "Andrea",
         "Luca"),
        ("Maria", "Anna", "Giulia", "Francesca", "Chiara", "Sara", "Laura", "Valentina", "Elena", "Paola"),
        ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
         "Bruno", "Gallo", "Conti", "De Luca", "Costa", "Giordano", "Mancini", "Rizzo"),
    ),
}  # fmt: skip

WESTERN_INDUSTRIES: Final = (
    "Trading", "Logistics", "Builders", "Catering", "Engineering", "Retail", "Motors", "Foods", "Print",
    "Design",
)  # fmt: skip
COMPANY_SUFFIX: Final = {"US": "LLC", "GB": "Ltd", "DE": "GmbH", "FR": "SARL", "ES": "S.L.", "IT": "S.r.l."}

_ASCII_FOLD: Final = {
    "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e", "ê": "e", "á": "a", "à": "a", "í": "i",
    "ì": "i", "ó": "o", "ò": "o", "ú": "u", "ù": "u", "ñ": "n", "ç": "c", " ": "",
}  # fmt: skip

CN_SINGLE_CHAR_GIVEN_SHARE: Final = 0.35
Indices = npt.NDArray[np.intp]


def ascii_handle(names: pl.Series) -> pl.Series:
    """Lower-case ASCII form of Latin-script names, for e-mail local parts."""
    folded = names.str.to_lowercase().str.replace_many(list(_ASCII_FOLD), list(_ASCII_FOLD.values()))
    return folded.str.replace_all(r"[^a-z0-9.]", "")


def _gendered(rng: np.random.Generator, female: Mask, n_male: int, n_female: int) -> Indices:
    """Indices into ``male + female`` name lists: a female name where ``female`` holds."""
    n = len(female)
    return np.where(female, n_male + rng.integers(0, n_female, n), rng.integers(0, n_male, n))


def chinese_people(rng: np.random.Generator, n: int) -> tuple[pl.Series, pl.Series]:
    """(names, pinyin handles) of ``n`` people: surname by population share, one or two given characters."""
    weights = np.array([share for _, _, share in CN_SURNAMES])
    surname = rng.choice(len(CN_SURNAMES), size=n, p=weights / weights.sum())
    given = CN_GIVEN_MALE + CN_GIVEN_FEMALE
    chars = [c for c, _ in given] + [""]
    sounds = [p for _, p in given] + [""]
    female = rng.random(n) < 0.5
    first = _gendered(rng, female, len(CN_GIVEN_MALE), len(CN_GIVEN_FEMALE))
    second = _gendered(rng, female, len(CN_GIVEN_MALE), len(CN_GIVEN_FEMALE))
    second = np.where(rng.random(n) < CN_SINGLE_CHAR_GIVEN_SHARE, len(given), second)
    names = concat(pick([s for s, _, _ in CN_SURNAMES], surname), pick(chars, first), pick(chars, second))
    handles = concat(pick([p for _, p, _ in CN_SURNAMES], surname), pick(sounds, first), pick(sounds, second))
    return names, handles


def western_people(rng: np.random.Generator, country: str, n: int) -> tuple[pl.Series, pl.Series]:
    """(names "Given Surname", handles "given.surname") of ``n`` people of ``country``."""
    male, female, surnames = WESTERN_NAMES[country]
    given = pick(male + female, _gendered(rng, rng.random(n) < 0.5, len(male), len(female)))
    surname = pick(surnames, rng.integers(0, len(surnames), n))
    return concat(given, " ", surname), ascii_handle(concat(given, ".", surname))


def people(rng: np.random.Generator, country: Codes) -> tuple[pl.Series, pl.Series]:
    """Names and handles for people living in ``COUNTRIES[country]``, in row order."""
    names: list[tuple[Indices, pl.Series]] = []
    handles: list[tuple[Indices, pl.Series]] = []
    for code, rows in groups(country):
        place = COUNTRIES[code]
        drawn = chinese_people(rng, len(rows)) if place == "CN" else western_people(rng, place, len(rows))
        names.append((rows, drawn[0]))
        handles.append((rows, drawn[1]))
    return assemble(names, len(country)), assemble(handles, len(country))


def companies(
    rng: np.random.Generator, country: Codes, city: pl.Series, enterprise: Mask
) -> tuple[pl.Series, pl.Series]:
    """Company names and ASCII handles: 兰州鑫盛商贸有限公司, 鑫盛建材集团有限公司, Smith Logistics Ltd."""
    names: list[tuple[Indices, pl.Series]] = []
    handles: list[tuple[Indices, pl.Series]] = []
    for code, rows in groups(country):
        place = COUNTRIES[code]
        count = len(rows)
        if place == "CN":
            brand = rng.integers(0, len(CN_BRANDS), count)
            trade = pick(CN_INDUSTRIES, rng.integers(0, len(CN_INDUSTRIES), count))
            brand_name = pick([b for b, _ in CN_BRANDS], brand)
            group_form = pick(("集团有限公司", "股份有限公司"), rng.integers(0, 2, count))
            small = concat(city.gather(rows), brand_name, trade, "有限公司")
            names.append((rows, choose(enterprise[rows], concat(brand_name, trade, group_form), small)))
            handles.append((rows, pick([p for _, p in CN_BRANDS], brand)))
        else:
            surnames = WESTERN_NAMES[place][2]
            surname = pick(surnames, rng.integers(0, len(surnames), count))
            trade = pick(WESTERN_INDUSTRIES, rng.integers(0, len(WESTERN_INDUSTRIES), count))
            names.append((rows, concat(surname, " ", trade, " " + COMPANY_SUFFIX[place])))
            handles.append((rows, ascii_handle(concat(surname, trade))))
    return assemble(names, len(country)), assemble(handles, len(country))
