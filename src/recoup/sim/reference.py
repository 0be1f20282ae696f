"""Reference data behind synthetic portfolios: places, phone plans, creditors, products and their economics.

Weights are rough population or market shares chosen to look plausible, not statistics to rely on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Place:
    """A city where debtors live, with everything that follows from it."""

    jurisdiction: str
    country: str  # ISO 3166-1 alpha-2; also picks the name locale
    region: str  # province (CN, short name), state (US), nation (UK), ISO 3166-2 subdivision (EU)
    city: str
    address_prefix: str  # CN: province + city as written on an envelope; elsewhere the city line
    districts: tuple[str, ...]
    timezone: str
    calling_code: str
    mobile_prefixes: tuple[str, ...]  # after the calling code (US: area codes)
    subscriber_digits: int  # digits after the prefix
    weight: float
    statute_years: int  # limitation period for an ordinary consumer debt (a simplification)
    postcode: str = ""  # US ZIP base or UK outward code; empty in CN and EU


_CN_MOBILE: Final = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "147", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181",
    "182", "183", "184", "185", "186", "187", "188", "189", "191", "198", "199",
)  # fmt: skip


def _cn(
    region: str, prefix: str, city: str, districts: tuple[str, ...], weight: float, tz: str = "Asia/Shanghai"
) -> Place:
    return Place("CN", "CN", region, city, prefix, districts, tz, "86", _CN_MOBILE, 8, weight, 3)


CN_PLACES: Final = (
    _cn("广东", "广东省广州市", "广州", ("天河区", "越秀区", "白云区"), 5.0),
    _cn("广东", "广东省深圳市", "深圳", ("南山区", "福田区", "宝安区"), 5.0),
    _cn("山东", "山东省济南市", "济南", ("历下区", "市中区"), 3.5),
    _cn("山东", "山东省青岛市", "青岛", ("市南区", "黄岛区"), 3.5),
    _cn("河南", "河南省郑州市", "郑州", ("金水区", "二七区", "中原区"), 7.0),
    _cn("江苏", "江苏省南京市", "南京", ("鼓楼区", "玄武区"), 3.0),
    _cn("江苏", "江苏省苏州市", "苏州", ("姑苏区", "吴中区"), 3.0),
    _cn("四川", "四川省成都市", "成都", ("武侯区", "锦江区", "青羊区"), 6.0),
    _cn("河北", "河北省石家庄市", "石家庄", ("长安区", "桥西区"), 5.0),
    _cn("湖南", "湖南省长沙市", "长沙", ("岳麓区", "芙蓉区"), 4.5),
    _cn("浙江", "浙江省杭州市", "杭州", ("西湖区", "上城区", "拱墅区"), 4.5),
    _cn("安徽", "安徽省合肥市", "合肥", ("蜀山区", "包河区"), 4.3),
    _cn("湖北", "湖北省武汉市", "武汉", ("江汉区", "武昌区", "洪山区"), 4.1),
    _cn("广西", "广西壮族自治区南宁市", "南宁", ("青秀区", "兴宁区"), 3.6),
    _cn("云南", "云南省昆明市", "昆明", ("五华区", "盘龙区"), 3.3),
    _cn("江西", "江西省南昌市", "南昌", ("东湖区", "西湖区"), 3.2),
    _cn("辽宁", "辽宁省沈阳市", "沈阳", ("和平区", "沈河区"), 3.0),
    _cn("福建", "福建省福州市", "福州", ("鼓楼区", "台江区"), 2.9),
    _cn("陕西", "陕西省西安市", "西安", ("雁塔区", "碑林区", "未央区"), 2.8),
    _cn("贵州", "贵州省贵阳市", "贵阳", ("南明区", "云岩区"), 2.7),
    _cn("山西", "山西省太原市", "太原", ("小店区", "迎泽区"), 2.5),
    _cn("重庆", "重庆市", "重庆", ("渝中区", "江北区", "渝北区"), 2.3),
    _cn("黑龙江", "黑龙江省哈尔滨市", "哈尔滨", ("南岗区", "道里区"), 2.2),
    _cn("吉林", "吉林省长春市", "长春", ("朝阳区", "南关区"), 1.7),
    _cn("甘肃", "甘肃省兰州市", "兰州", ("城关区", "七里河区", "安宁区"), 1.8),
    _cn("内蒙古", "内蒙古自治区呼和浩特市", "呼和浩特", ("新城区", "赛罕区"), 1.7),
    _cn("新疆", "新疆维吾尔自治区乌鲁木齐市", "乌鲁木齐", ("天山区", "沙依巴克区"), 1.1),
    # Many people in southern Xinjiang keep Xinjiang time (UTC+6), which is what Asia/Urumqi denotes.
    _cn("新疆", "新疆维吾尔自治区喀什地区", "喀什", ("喀什市",), 0.6, "Asia/Urumqi"),
    _cn("北京", "北京市", "北京", ("朝阳区", "海淀区", "丰台区"), 2.2),
    _cn("上海", "上海市", "上海", ("浦东新区", "徐汇区", "闵行区"), 2.5),
    _cn("天津", "天津市", "天津", ("河西区", "南开区"), 1.4),
    _cn("海南", "海南省海口市", "海口", ("龙华区", "美兰区"), 0.7),
    _cn("宁夏", "宁夏回族自治区银川市", "银川", ("兴庆区", "金凤区"), 0.5),
    _cn("青海", "青海省西宁市", "西宁", ("城中区", "城西区"), 0.4),
)


def _us(
    state: str, city: str, tz: str, area_codes: tuple[str, ...], weight: float, years: int, zip_base: str
) -> Place:
    return Place("US", "US", state, city, city, (), tz, "1", area_codes, 7, weight, years, zip_base)


US_PLACES: Final = (
    _us("NY", "New York", "America/New_York", ("212", "718", "917", "646"), 12.0, 3, "100"),
    _us("CA", "Los Angeles", "America/Los_Angeles", ("213", "310", "818"), 10.0, 4, "900"),
    _us("CA", "San Francisco", "America/Los_Angeles", ("415",), 3.0, 4, "941"),
    _us("TX", "Houston", "America/Chicago", ("713", "832"), 9.0, 4, "770"),
    _us("TX", "Dallas", "America/Chicago", ("214",), 5.0, 4, "752"),
    _us("FL", "Miami", "America/New_York", ("305", "786"), 10.0, 5, "331"),
    _us("IL", "Chicago", "America/Chicago", ("312", "773"), 8.0, 5, "606"),
    _us("AZ", "Phoenix", "America/Phoenix", ("602", "480"), 5.0, 6, "850"),
    _us("CO", "Denver", "America/Denver", ("303", "720"), 4.0, 6, "802"),
    _us("WA", "Seattle", "America/Los_Angeles", ("206", "425"), 5.0, 6, "981"),
    _us("GA", "Atlanta", "America/New_York", ("404", "678"), 6.0, 6, "303"),
)


# UK mobile ranges that belong to Great Britain, not to Guernsey, Jersey or the Isle of Man.
_UK_MOBILE: Final = (
    "740", "741", "742", "743", "744", "746", "747", "748", "749", "751", "753", "754", "755", "756", "757",
    "758", "759", "771", "772", "773", "774", "775", "776", "777", "780", "781", "784", "785", "786", "787",
    "788", "789", "790", "792", "794", "795", "796", "797", "798", "799",
)  # fmt: skip


def _uk(nation: str, city: str, weight: float, outward: str) -> Place:
    return Place("UK", "GB", nation, city, city, (), "Europe/London", "44", _UK_MOBILE, 7, weight, 6, outward)


UK_PLACES: Final = (
    _uk("England", "London", 14.0, "SE1"),
    _uk("England", "Manchester", 4.0, "M1"),
    _uk("England", "Birmingham", 4.0, "B1"),
    _uk("England", "Leeds", 3.0, "LS1"),
    _uk("Scotland", "Glasgow", 2.5, "G1"),
    _uk("Scotland", "Edinburgh", 1.5, "EH1"),
    _uk("Wales", "Cardiff", 1.5, "CF10"),
    _uk("Northern Ireland", "Belfast", 1.0, "BT1"),
)

_DE_MOBILE: Final = ("151", "152", "157", "160", "170", "171", "172", "175", "176", "177", "178", "179")
_FR_MOBILE: Final = ("60", "61", "62", "64", "65", "66", "67", "68")
_IT_MOBILE: Final = ("32", "33", "34", "36", "38", "39")

EU_PLACES: Final = (
    Place("EU", "DE", "DE-BE", "Berlin", "Berlin", (), "Europe/Berlin", "49", _DE_MOBILE, 8, 4.0, 3),
    Place("EU", "DE", "DE-BY", "München", "München", (), "Europe/Berlin", "49", _DE_MOBILE, 8, 3.0, 3),
    Place("EU", "DE", "DE-HH", "Hamburg", "Hamburg", (), "Europe/Berlin", "49", _DE_MOBILE, 8, 2.0, 3),
    Place("EU", "FR", "FR-IDF", "Paris", "Paris", (), "Europe/Paris", "33", _FR_MOBILE, 7, 4.0, 2),
    Place("EU", "FR", "FR-ARA", "Lyon", "Lyon", (), "Europe/Paris", "33", _FR_MOBILE, 7, 2.0, 2),
    Place("EU", "ES", "ES-MD", "Madrid", "Madrid", (), "Europe/Madrid", "34", ("6",), 8, 3.0, 5),
    Place("EU", "ES", "ES-CT", "Barcelona", "Barcelona", (), "Europe/Madrid", "34", ("6",), 8, 2.5, 5),
    Place("EU", "IT", "IT-62", "Roma", "Roma", (), "Europe/Rome", "39", _IT_MOBILE, 8, 3.0, 10),
    Place("EU", "IT", "IT-25", "Milano", "Milano", (), "Europe/Rome", "39", _IT_MOBILE, 8, 3.0, 10),
)

PLACES: Final = CN_PLACES + US_PLACES + UK_PLACES + EU_PLACES
COUNTRIES: Final = ("CN", "US", "GB", "DE", "FR", "ES", "IT")

CURRENCY_OF: Final = {"CN": "CNY", "US": "USD", "UK": "GBP", "EU": "EUR"}
LANGUAGE_OF: Final = {"CN": "zh", "US": "en", "UK": "en", "EU": "en"}
DEFAULT_JURISDICTION_MIX: Final = {"CN": 0.85, "US": 0.07, "UK": 0.04, "EU": 0.04}

# Amounts below are in CNY major units; other currencies scale by this rough price-level factor (a guess).
CURRENCY_SCALE: Final = {"CNY": 1.0, "USD": 0.30, "GBP": 0.22, "EUR": 0.26}


@dataclass(frozen=True, slots=True)
class Creditor:
    creditor_id: str
    name: str
    kind: str  # bank | consumer_finance | merchant | telecom | utility | lender
    jurisdiction: str


CREDITORS: Final = (
    Creditor("cn-bank-01", "锦程银行信用卡中心", "bank", "CN"),
    Creditor("cn-cfc-01", "安易消费金融有限公司", "consumer_finance", "CN"),
    Creditor("cn-merchant-01", "优购商城", "merchant", "CN"),
    Creditor("cn-telecom-01", "畅联通信", "telecom", "CN"),
    Creditor("us-bank-01", "Harbor National Bank", "bank", "US"),
    Creditor("us-power-01", "Lakeside Power & Light", "utility", "US"),
    Creditor("uk-lender-01", "Thistle Lending Ltd", "lender", "UK"),
    Creditor("uk-energy-01", "Brightwater Energy", "utility", "UK"),
    Creditor("eu-bank-01", "Europa Consumer Finance S.A.", "consumer_finance", "EU"),
    Creditor("eu-telco-01", "Telnova Europe", "telecom", "EU"),
)


@dataclass(frozen=True, slots=True)
class Offering:
    """Which creditor places which product for a kind of debtor in a jurisdiction, and how often."""

    jurisdiction: str
    debtor_type: str
    creditor_id: str
    product: str
    weight: float


OFFERINGS: Final = (
    Offering("CN", "individual", "cn-bank-01", "credit_card", 30),
    Offering("CN", "individual", "cn-bank-01", "consumer_loan", 8),
    Offering("CN", "individual", "cn-bank-01", "auto_loan", 5),
    Offering("CN", "individual", "cn-bank-01", "mortgage", 2),
    Offering("CN", "individual", "cn-cfc-01", "consumer_loan", 35),
    Offering("CN", "individual", "cn-merchant-01", "other", 12),
    Offering("CN", "individual", "cn-telecom-01", "utility", 8),
    Offering("CN", "sme", "cn-bank-01", "sme_loan", 60),
    Offering("CN", "sme", "cn-merchant-01", "trade_receivable", 40),
    Offering("CN", "enterprise", "cn-bank-01", "sme_loan", 30),
    Offering("CN", "enterprise", "cn-merchant-01", "trade_receivable", 70),
    Offering("US", "individual", "us-bank-01", "credit_card", 50),
    Offering("US", "individual", "us-bank-01", "auto_loan", 15),
    Offering("US", "individual", "us-bank-01", "consumer_loan", 15),
    Offering("US", "individual", "us-power-01", "utility", 20),
    Offering("US", "sme", "us-bank-01", "sme_loan", 70),
    Offering("US", "sme", "us-power-01", "utility", 30),
    Offering("US", "enterprise", "us-bank-01", "sme_loan", 100),
    Offering("UK", "individual", "uk-lender-01", "consumer_loan", 45),
    Offering("UK", "individual", "uk-lender-01", "credit_card", 30),
    Offering("UK", "individual", "uk-energy-01", "utility", 25),
    Offering("UK", "sme", "uk-lender-01", "sme_loan", 70),
    Offering("UK", "sme", "uk-energy-01", "utility", 30),
    Offering("UK", "enterprise", "uk-lender-01", "sme_loan", 100),
    Offering("EU", "individual", "eu-bank-01", "consumer_loan", 45),
    Offering("EU", "individual", "eu-bank-01", "credit_card", 25),
    Offering("EU", "individual", "eu-telco-01", "utility", 30),
    Offering("EU", "sme", "eu-bank-01", "sme_loan", 70),
    Offering("EU", "sme", "eu-telco-01", "utility", 30),
    Offering("EU", "enterprise", "eu-bank-01", "sme_loan", 100),
)

# Debtor types: most debtors are individuals.
DEBTOR_TYPE_SHARES: Final = {"individual": 0.88, "sme": 0.09, "enterprise": 0.03}


@dataclass(frozen=True, slots=True)
class ProductEconomics:
    """Balance distribution (log-normal, CNY major units) and how it splits into interest and fees."""

    median: float
    sigma: float
    annual_rate: float  # contractual or default interest accrued on the principal while past due
    monthly_fee_share: float  # late fees per month past due, as a share of principal (capped at 6 months)
    paid_down: tuple[float, float]  # principal / original amount is uniform in this range


ECONOMICS: Final = {
    "credit_card": ProductEconomics(9_000, 0.9, 0.18, 0.010, (0.75, 1.0)),
    "consumer_loan": ProductEconomics(12_000, 0.9, 0.24, 0.008, (0.35, 0.95)),
    "auto_loan": ProductEconomics(45_000, 0.6, 0.08, 0.003, (0.25, 0.9)),
    "mortgage": ProductEconomics(280_000, 0.6, 0.05, 0.001, (0.3, 0.95)),
    "sme_loan": ProductEconomics(150_000, 0.9, 0.10, 0.003, (0.3, 0.95)),
    "trade_receivable": ProductEconomics(60_000, 1.1, 0.06, 0.0, (1.0, 1.0)),
    "utility": ProductEconomics(600, 0.8, 0.0, 0.02, (1.0, 1.0)),
    "other": ProductEconomics(2_500, 0.9, 0.15, 0.01, (0.5, 1.0)),
}
ENTERPRISE_BALANCE_FACTOR: Final = 6.0

# Monthly income medians in local major units: individuals' income, businesses' revenue.
INCOME_MEDIAN: Final = {
    ("CN", "individual"): 5_500,
    ("US", "individual"): 4_200,
    ("UK", "individual"): 2_300,
    ("EU", "individual"): 2_400,
}
BUSINESS_REVENUE_MEDIAN_CNY: Final = {"sme": 120_000, "enterprise": 2_000_000}
