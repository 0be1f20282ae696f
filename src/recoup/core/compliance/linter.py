"""The message linter: abusive, false or leaking content in Chinese and English collection messages.

``lint(text)`` returns findings (category, start, end in the ORIGINAL text). Patterns run on the
normalised text (``normalise.py``: full-width, case, traditional forms, spacing and l33t undone), all
categories and both languages in one compiled regex, so a message is scanned once. A match in a
negated or rights-stating clause ("we will not take legal action", "您可依法向人民法院提起诉讼") is not
a finding. Sensitive numbers are found on the folded text and confirmed by their check digits (Luhn for
cards, ISO 7064 for Chinese ID numbers), so phone numbers and references are not flagged.

Categories are detections; whether one is a violation is the rulebook's call (a suit threat is a
violation only when the debt is time-barred).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Final

from recoup.core.compliance.normalise import Normalised, normalise

CATEGORIES: Final = (
    "threat",
    "false_authority",
    "insult",
    "third_party_disclosure",
    "public_shaming",
    "fake_blacklist",
    "pressure_borrow",
    "unconsented_visit",
    "suit_threat",
    "sensitive_data",
)
DEBT_MENTION: Final = "debt_mention"
# When phrases of two categories start at the same place, the more specific category wins.
_PRIORITY: Final = (
    "sensitive_data",
    "pressure_borrow",
    "false_authority",
    "public_shaming",
    "unconsented_visit",
    "third_party_disclosure",
    "fake_blacklist",
    "suit_threat",
    "threat",
    "insult",
)
# Categories whose phrases flip meaning when negated or stated as the debtor's right.
_NEGATABLE: Final = frozenset(CATEGORIES) - {"insult", "sensitive_data"}

# English phrases: a space stands for any run of separators; each phrase starts at a word boundary.
_EN: Final[dict[str, tuple[str, ...]]] = {
    "threat": (
        r"break your (?:legs?|arms?|neck|bones|face|fingers|knees)",
        r"(?:kill|hurt|harm|beat|shoot|stab|strangle) (?:you|your (?:family|kids|children|wife|husband"
        r"|partner))\b",
        r"(?:burn|torch|smash|wreck) (?:down )?your (?:house|home|car|place|shop)",
        r"(?:someone|somebody|you|your (?:family|kids|children|wife|husband)) "
        r"(?:might|could|will|may|ll|is going to|are going to) get (?:hurt|harmed|injured)",
        r"watch your back",
        r"you(?: will| ll)? regret (?:it|this|that|ignoring)",
        r"we know where you (?:live|work|sleep|park)",
        r"make your life (?:hell|a living hell|miserable)",
        r"(?:won t|will not) like what happens",
        r"(?:come|coming) after you",
        r"something (?:bad|terrible|nasty) (?:will|might|could|may) happen",
        r"you(?: will| ll) be sorry",
        r"(?:have|had|get|meet with) (?:an|a nasty|a little) accident",
        r"(?:something|an accident) (?:will|might|could|may) happen to (?:you|your)",
        r"smash (?:up )?your (?:car|windows?|house|home|face|shop)",
        r"you(?: will| ll) pay for (?:this|that|it)",
        r"(?:won t|will not|wouldn t) be safe",
        r"see what happens to (?:you|your)",
    ),
    "false_authority": (
        r"(?:this is|i am|i m|we are|we re|calling from|speaking from|it s) (?:the |a |an |your )?(?:local )?"
        r"(?:officer|detective|sergeant|constable|police|sheriff|court|county court|high court|magistrates?"
        r" court"
        r"|judge|federal agent|fbi|district attorney|attorney general|bailiff|marshal|enforcement officer)",
        r"(?:police|sheriff|officers|bailiffs|marshals) (?:will|ll|are going to|is going to|are coming|is"
        r" coming)",
        r"arrest(?:ed|ing)?\b",
        r"(?:jail|prison|gaol)\b",
        r"imprison\w*",
        r"behind bars",
        r"detain(?:ed|ing)? you|in(?:to)? (?:police )?custody|handcuff\w*",
        r"officer (?:has been|is|was) assigned",
        r"(?:fraud|crime|criminal) (?:unit|squad|division|department)",
        r"(?:police|sheriff|prosecutor)s? (?:for|to) (?:arrest|prosecution|charges)",
        r"prosecut\w*",
        r"criminal (?:offen[cs]e|charges?|matter|case|record|proceedings|complaint)",
        r"charged with (?:fraud|theft|a crime)",
        r"crime\b",
        r"(?:we are|i am|i m|we re) (?:a |your |the )?(?:lawyers?|attorneys?|solicitors?|law firm)\b",
    ),
    "insult": (
        r"(?:deadbeat|idiot|moron|imbecile|stupid|loser|scum\w*|bastard|bitch\w*|asshole|arsehole|dickhead"
        r"|worthless|useless|pathetic|parasite|retard\w*|cretin|lowlife|low life|freeloader|leech|dumbass"
        r"|jackass)\b",
        r"f[u*@a]ck\w*",
        r"sh[i*]t\w*",
        r"piece of (?:shit|garbage|trash|crap|work)",
        r"s ?b\b",  # 傻逼, written in Latin letters inside Chinese text
        r"you(?: are| re)(?: such)? (?:a |an )?(?:\w+ )?(?:liar|thief|scammer|fraud|fraudster|cheat|crook"
        r"|criminal"
        r"|disgrace)\b",
    ),
    "third_party_disclosure": (
        r"(?:(?:contact|call|phone|ring|tell|inform|notify|email|e mail|text|message|alert|warn)(?:s|ed|ing)?"
        r"|write to|speak to|talk to|reach(?:ing)? out to|let) (?:all )?(?:of )?your (?:employer|boss"
        r"|manager|supervisor|hr|human"
        r" resources"
        r"|workplace|work|company|colleagues|co ?workers|family|relatives|parents|mother|father|mum|mom|dad"
        r"|wife"
        r"|husband|spouse|partner|children|kids|friends|neighbou?rs|contacts|references|landlord)\b",
        r"(?:employer|boss|manager|hr department|colleagues|co ?workers|family|relatives|parents|wife"
        r"|husband|spouse"
        r"|friends|neighbou?rs|contacts|children|kids) (?:will|shall|are going to|is going to|ll) (?:be )?"
        r"(?:informed|told|notified|contacted|hear|know|find out|learn)\b",
        r"(?:have|got|access to) your (?:contact list|contacts|phone ?book|address book)",
    ),
    "public_shaming": (
        r"(?:post|publish|share|put|upload|plaster|display)\w*(?: up)? (?:your|you|about you|pictures of"
        r" you|photos of you)"
        r"[^.!?\n]{0,40}(?:facebook|twitter|instagram|tiktok|linkedin|social media|online|internet|website"
        r"|whatsapp"
        r"|wechat|group|public|posters?|newspaper|notice ?board)",
        r"your (?:name|photo|picture|face|details|debt) (?:will |is going to |shall )?(?:be )?"
        r"(?:posted|published|shared|displayed|listed|put up|go up|goes up)",
        r"put\w* up posters",
        r"posters? (?:with|of|showing) your",
        r"expos(?:e|ing) you\b",
        r"(?:everyone|everybody|the whole (?:town|village|street|office|neighbou?rhood)) (?:in your \w+ )?"
        r"(?:will|is going to|ll) (?:know|find out|see|hear)",
        r"wall of shame|name and shame|go(?:es|ing)? viral",
        r"(?:shared|posted|published|announced) (?:with|to) (?:everyone|everybody|the whole|all your|the"
        r" public)",
        r"(?:notice|advert|ad|announcement|article) (?:about|on|of) (?:you|your)\w*[^.!?\n]{0,40}(?:paper"
        r"|newspaper|press|online|website)",
        r"(?:appear|listed|shown|displayed) on (?:our|a|the) (?:public|website|online)[^.!?\n]{0,20}(?:page"
        r"|list|site|register)",
        r"public (?:debtors?|defaulters?) (?:page|list|register)",
        r"public(?:ly)? (?:shame|humiliat\w*|expose|name)\w*",
    ),
    "fake_blacklist": (
        r"black ?list\w*",
        r"never (?:be able to )?(?:get|obtain|open|have|take out) (?:a |an |another |any )?"
        r"(?:loan|credit|mortgage|bank account|account|credit card|job|phone contract)",
        r"(?:no|not a single|not one) bank[^.!?\n]{0,40}(?:ever|again)",
        r"(?:children|kids|son|daughter)[^.!?\n]{0,40}(?:not be allowed|banned|barred|won t be able"
        r"|will not be able|cannot|can t|refused)",
        r"(?:passport|driving licen[cs]e|driver s license|visa|citizenship)[^.!?\n]{0,30}"
        r"(?:cancel\w*|revoked|confiscated|seized|suspended|withdrawn)",
        r"freeze (?:all|every) (?:of )?(?:your )?(?:bank )?(?:accounts?|assets)",
        r"(?:accounts?|assets|wages|salary|savings) (?:will|shall|are going to) (?:all )?be (?:frozen"
        r"|seized|confiscated)",
        r"(?:credit|credit score|credit rating|credit record)[^.!?\n]{0,20}(?:destroyed|ruined|wiped out)",
        r"ruin your (?:credit|life|future)",
        r"barred from (?:renting|buying|working|travel\w*|getting)",
        r"(?:every|all|any) banks? will (?:refuse|reject|deny|turn down) you",
        r"for life\b",
        r"deport\w*",
    ),
    "pressure_borrow": (
        r"borrow(?:ing)?\b",
        r"(?:take out|get|apply for|open) (?:a |an |another |a new |one more )?"
        r"(?:payday loan|loan|credit card|overdraft|cash advance)",
        r"payday (?:loan|lender)",
        r"sell (?:off )?(?:your |the )?(?:car|house|home|flat|jewel\w*|property|possessions|belongings"
        r"|furniture"
        r"|things|phone|kidney|assets)",
        r"(?:use|with) (?:another|a different|your other|a second) (?:credit )?card",
        r"pawn\w*|remortgag\w*",
        r"max(?:ing)? out (?:your )?(?:other |another )?(?:credit )?cards?",
        r"sell (?:something|anything|what you (?:have|own)|your stuff)",
        r"lend you (?:the |some )?(?:money|cash)",
    ),
    "unconsented_visit": (
        r"(?:come|coming|visit|visiting|show up|turn up|drop by|stop by|call round|call by|knock) "
        r"(?:to |at |on |round to |by |in on )?(?:you at )?your (?:home|house|door|doorstep|office|workplace"
        r"|place of work|work|flat|apartment|address|place)\b",
        r"(?:expect|see) (?:us|me|our \w+|someone|a visit) (?:at|on) your (?:door|doorstep|home|house"
        r"|office|work)",
        r"send\w* (?:a |an |our |some )?(?:field )?(?:agent|collector|team|someone|somebody|representative"
        r"|officer"
        r"|bailiff)s? (?:round )?to your (?:home|house|office|workplace|address|door)",
        r"on (?:his|her|their|our|my) way to your",
        r"(?:call|come|stop) (?:at|by|round to) your (?:house|home|door|address|flat|apartment|office"
        r"|workplace)",
    ),
    "suit_threat": (
        r"su(?:e|ing|ed)\b",
        r"law ?suits?\b",
        r"(?:take|taking|start|begin|commence|initiate|pursue|face|facing) (?:formal )?legal (?:action"
        r"|proceedings)",
        r"legal (?:action|proceedings) (?:will|shall|may|is going to) (?:be )?"
        r"(?:taken|started|begun|commenced|issued|initiated)",
        r"legal (?:action|proceedings) against you",
        r"court (?:action|proceedings|claim|case|summons)",
        r"(?:take|taken|taking|drag|bring|brought) (?:you )?to court",
        r"see you in court",
        r"(?:small claims|county|magistrates?|civil) court",
        r"(?:claim|judgment|summons|case)[^.!?\n]{0,25}(?:issued|filed|brought|lodged) against you",
    ),
}

# Chinese phrases, matched on text from which separators between characters have been removed.
_ZH: Final[dict[str, tuple[str, ...]]] = {
    "threat": (
        r"弄死|打死|砍死|杀了|杀死|宰了|做了你|废了你|卸了?你|打断.{0,3}腿|砍你|捅你|揍你",
        r"找人(?:收拾|教训|打|砍|弄|修理)|收拾你|教训你|修理你|让你好看|有你好看|后果自负",
        r"别怪(?:我们|我)?不客气|对你不客气|小心(?:你的|你|点|点儿)|出门.{0,3}小心|走夜路|你等着|给我等着|等着瞧|走着瞧",
        r"不得安宁|鸡犬不宁|泼油漆|泼粪|烧(?:了)?你家|放火|要你(?:的)?命|见血|断手断脚|堵在|堵你|被人(?:打|砍|堵|收拾)",
        r"全家(?:都)?(?:不得安宁|倒霉|遭殃|出事)|你(?:的)?家人.{0,3}(?:出事|遭殃|小心)",
    ),
    "false_authority": (
        r"(?:我是|我们是|这里是|这是|本人是).{0,4}?(?:公安|警察|警方|派出所|法院|法官|检察院|检察官|执行局|律师事务所"
        r"|律所|刑警)",
        r"逮捕|拘留|抓你|抓捕|坐牢|判刑|蹲监狱|进监狱|坐监|通缉|追逃|立案侦查|被立案|已立案",
        r"涉嫌(?:诈骗|犯罪|违法|刑事)|诈骗罪|构成犯罪|刑事责任|追究刑事|犯罪记录|报警",
        r"(?:警察|警方|公安).{0,3}?(?:上门|来|去|抓|介入)|看守所|派出所|扣留|限制人身|公安(?:的)?系统|上了(?:公安|警方)",
    ),
    "insult": (
        r"老赖|无赖|(?<!谨防)(?<!防范)(?<!小心)(?<!冒充)骗子|废物|垃圾(?!短信|邮件|信息|分类)|人渣|畜生|畜牲|王八",
        r"混蛋|混账|傻逼|傻b|傻x|傻叉|煞笔|脑残|贱人|贱货|不要脸|去死|滚蛋|狗东西|狗日|他妈|妈的|操你|草你|你妈",
        r"婊子|白痴|蠢货|蠢猪|猪狗不如|下贱|死皮赖脸",
    ),
    "third_party_disclosure": (
        r"(?:通知|告诉|告知|联系|打电话给|打给|电话给|找|发给|通报|转告)(?:你|您)?(?:的)?(?:家人|家里人|家属|父母|爸妈"
        r"|爸爸|妈妈|老婆|老公|配偶|妻子|丈夫|子女|孩子|亲戚|亲属|亲友|朋友|同事|领导|老板|单位|公司|通讯录|联系人"
        r"|紧急联系人|邻居|同学|老师|村委|居委|好友|微信好友|QQ好友)",
        r"(?:发给|告诉|通知)(?:你|您)(?:的)?所有(?:的)?(?:微信|QQ)?(?:好友|联系人|朋友|亲戚|同事)",
        r"爆(?:你|您)?(?:的)?通讯录|通讯录(?:里|中)?(?:的)?(?:所有人|人|朋友)|群发给(?:你|您)?(?:的)?(?:通讯录|联系人|朋友)",
        r"让(?:你|您)(?:们)?(?:的)?(?:家人|父母|同事|领导|单位|公司|朋友|亲戚)(?:的人)?(?:都)?知道",
        r"掌握(?:了)?(?:你|您)(?:的)?(?:父母|家人|亲属|同事|朋友|通讯录|单位)",
        r"(?:家人|父母|同事|领导|单位|朋友|亲戚)(?:都)?(?:(?!不|没|未).){0,4}?(?:会|将)(?:知道|收到)",
    ),
    "public_shaming": (
        r"曝光|公示|张贴|大字报|人肉|朋友圈曝光|拉横幅|挂横幅",
        r"公开(?:你|您)(?:的)?(?:任何)?(?:个人)?(?:信息|照片|身份|欠款|资料|隐私)",
        r"贴(?:到|在)(?:你|您)?(?:的)?(?:小区|单位|公司|门口|家门)",
        r"挂(?:到|在)(?:网上|微博|朋友圈|群里|抖音)",
        r"发(?:到|在)(?:你|您)?(?:们)?(?:的)?.{0,4}?(?:朋友圈|微博|抖音|快手|群|群里|业主群|网上|家族群|班级群|公司群)",
        r"贴在(?:你|您)?(?:家|的)?.{0,4}?(?:楼道|门口|小区|单位|公司|电梯)",
        r"(?:全村|全小区|全公司|全单位|所有人|大家|全镇|全校)(?:的)?(?:人)?都(?:会)?知道|上(?:新闻|电视)",
    ),
    "fake_blacklist": (
        r"黑名单|拉黑|全网通报",
        r"(?:子女|孩子|小孩)(?:(?!不会|不受|不影响|没有).){0,10}?(?:被查|查到|政审)",
        r"(?:子女|孩子|小孩|后代|下一代|儿女)(?:(?!不会|不受|不影响|没有).){0,10}?"
        r"(?:无法|不能|受影响|影响|上不了|考不了|读不了|没法)",
        r"影响(?:三代|子女|后代|孩子)|连累(?:家人|子女|三代|孩子)|终身(?:有效|无法|不能|限制)",
        r"这辈子(?:都)?(?:别想|无法|不能|完了)|永远(?:无法|不能|别想)|永久(?:作废|失信|拉黑|冻结)",
        r"征信(?:将|会)?(?:永久|彻底|终身)?(?:作废|毁了|完了|黑了|报废)",
        r"信用(?:将|会|就)?(?:彻底|永久|全)?(?:完了|毁了|作废|破产)|买票都买不了|(?:坐|乘)不了(?:飞机|高铁|火车)",
        r"冻结(?:你|您)?(?:名下)?(?:的)?(?:所有|全部)(?:的)?(?:银行卡|账户|资产|财产|存款)",
        r"(?:限制|禁止)(?:你|您)?(?:乘坐|坐)?(?:飞机|高铁|火车|出行|出境|高消费)",
        r"没收(?:你|您)?(?:的)?(?:房产|房子|财产)|全国(?:金融)?(?:联网|通报)",
    ),
    "pressure_borrow": (
        r"(?:找|向|跟|问)(?:你|您)?(?:的)?(?:朋友|亲戚|家人|父母|同事|别人|他人|亲友).{0,2}借",
        r"借钱(?:还|给|来)|去借|借(?:一笔|点|些|一点)|网贷|借呗|花呗|微粒贷|小额贷款?|高利贷|以贷养贷|拆东墙|套现",
        r"(?:用|刷)(?:别的|其他|另一张|其它)(?:的)?信用卡",
        r"卖(?:了)?(?:房|车|房子|车子|肾|血|首饰|家当|家产)|把(?:你的?)?(?:房子?|车子?|首饰|家当|手机|电脑|东西)卖"
        r"|抵押(?:房|车)|典当|变卖",
    ),
    "unconsented_visit": (
        r"上门|登门|外访",
        r"(?:我们|我司|同事|催收员|工作人员|外访人员|的人|人员|专人|派人).{0,6}?(?:到|去|来)(?:你|您)(?:的)?"
        r"(?:家|单位|公司|家里|住处|老家|小区|工作单位)",
        r"(?:到|去)(?:你|您)(?:的)?(?:家|单位|公司|家里|老家)(?:里)?(?:找|堵|等)",
        r"(?:派|安排)(?:人|专人|外访人员|同事|工作人员|催收员).{0,6}?(?:上门|去|到|来|找)",
    ),
    "suit_threat": (
        r"起诉|诉讼|告上法庭|告(?:你|您)|法院见|上法院|走法律(?:程序|途径)",
        r"(?:启动|进入|采取|走)(?:司法|法律)(?:程序|手段|途径|措施)|法律手段|强制执行|申请执行|律师函",
    ),
}

_DEBT_WORDS: Final = (
    r"(?<![a-z])(?:debts?|owe[sd]?|owing|overdue|past due|arrears|balance|outstanding|loan|credit card"
    r"|collections?"
    r"|collector|repay\w*|payments?|pay back|instal+ments?)\b|[$£€]\s?\d"
    r"|欠款|欠费|欠钱|欠债|债务|逾期|还款|还钱|贷款|借款|信用卡|账单|催收|本金|利息|\d+(?:\.\d+)?元"
)

_CJK: Final = "\u3400-\u9fff"
_LETTER: Final = re.compile("[a-z]")
_CLAUSE_END: Final = re.compile(r"[.!?;。！？；，,\n]")
_EN_NEGATED: Final = re.compile(
    r"(?:(?<!why )\bnot\b(?!\W+hesitate)|\bnever\b|n't\b|\bno\b|\bwithout\b)(?:\W+\w+){0,2}\W*$|\bthere"
    r" (?:is|are)"
    r" no\b|\b(?:not|never)\b[^.;,]*\bor\b(?:\W+\w+){0,2}\W*$"
)
_EN_RIGHTS: Final = re.compile(r"\byou\W+(?:may|can|could|have the right to|are entitled to)\b")
_ZH_NEGATED: Final = re.compile(
    r"(?:不会|不得|不能|不再|不用|无需|无须|不必|绝不|决不|从不|从未|不可能|不存在|没有|并未|并不|未经|禁止|严禁|勿|不要|无权"
    r"|不应)|不$"
)
_ZH_RIGHTS: Final = re.compile(r"[您你](?:也)?(?:可|可以|有权|能够)")

# Each starts with a character class (fast to scan for); the look-behind after it is the left boundary.
_SIX_DIGITS: Final = re.compile(r"\d\d[ -]?\d\d[ -]?\d\d")
_CARD: Final = re.compile(r"\d(?<!\d\d)(?:[ -]?\d){12,18}(?!\d)")
_CN_ID: Final = re.compile(r"\d(?<![\dx]\d)(?:[ -]?\d){16}[ -]?[\dx](?![\dx])")
_SSN: Final = re.compile(r"\d(?<!\d\d)\d\d-\d\d-\d{4}(?!\d)")
_UK_NI: Final = re.compile(r"[a-z](?<![a-z0-9][a-z])[a-z] ?\d\d ?\d\d ?\d\d ?[a-d](?![a-z0-9])")
_CN_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True)
class Finding:
    category: str
    start: int  # in the original text
    end: int
    text: str


class Linter:
    """Compiled once; ``lint`` is safe to call from many threads."""

    def __init__(
        self,
        english: dict[str, tuple[str, ...]] | None = None,
        chinese: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        english = _EN if english is None else english
        chinese = _ZH if chinese is None else chinese
        # One regex per script. The outer lookahead lets phrases overlap; the first test in each (a word
        # start; a Chinese character) fails fast at most positions.
        self._english = re.compile(r"(?<![a-z0-9])(?=[a-z*@$])(?=" + _groups(english, _english) + ")")
        self._chinese = re.compile(rf"(?=[{_CJK}])(?=" + _groups(chinese, _chinese) + ")")
        self._debt = re.compile(_DEBT_WORDS)

    def lint(self, text: str) -> tuple[Finding, ...]:
        """Findings in order of position: phrases of every category, then sensitive numbers."""
        normal = normalise(text)
        findings = self._phrases(normal, self._english) if _LETTER.search(normal.text) else []
        if not normal.text.isascii():
            findings += self._phrases(normal, self._chinese)
        findings.extend(_sensitive_numbers(normal))
        return tuple(sorted(findings, key=lambda finding: (finding.start, finding.end)))

    def _phrases(self, normal: Normalised, pattern: re.Pattern[str]) -> list[Finding]:
        findings: list[Finding] = []
        for match in pattern.finditer(normal.text):
            category = match.lastgroup
            assert category is not None
            start, end = normal.original_span(*match.span(category))
            if findings and end <= findings[-1].end:
                continue  # inside the phrase just found (seen again from a later position, or a part of it)
            if category in _NEGATABLE and _negated(normal, start, match.group(category)):
                continue
            findings.append(Finding(category, start, end, normal.original[start:end]))
        return findings

    def debt_mentions(self, text: str) -> tuple[Finding, ...]:
        """Where a message speaks of the debt (what a third party must never be told)."""
        normal = normalise(text)
        found = []
        for match in self._debt.finditer(normal.text):
            start, end = normal.original_span(*match.span())
            found.append(Finding(DEBT_MENTION, start, end, text[start:end]))
        return tuple(found)


def _groups(phrases: dict[str, tuple[str, ...]], compile_phrase: Callable[[str], str]) -> str:
    return "|".join(
        f"(?P<{category}>{'|'.join(compile_phrase(p) for p in phrases[category])})"
        for category in _PRIORITY
        if phrases.get(category)
    )


def _english(phrase: str) -> str:
    return "(?:" + phrase.replace(" ?", r"[\W_]*").replace(" ", r"[\W_]+") + ")"


def _chinese(phrase: str) -> str:
    return f"(?:{phrase})"


def _negated(normal: Normalised, start: int, matched: str) -> bool:
    """Whether the clause before a match negates it or states it as the debtor's right."""
    before = normal.folded[:start]
    clause_start = max((m.end() for m in _CLAUSE_END.finditer(before)), default=0)
    clause = before[clause_start:]
    if matched[:1].isascii():
        return bool(_EN_NEGATED.search(clause) or _EN_RIGHTS.search(clause))
    return bool(_ZH_NEGATED.search(clause) or _ZH_RIGHTS.search(clause))


def _sensitive_numbers(normal: Normalised) -> list[Finding]:
    folded = normal.folded
    if not _SIX_DIGITS.search(folded):
        return []
    found: dict[tuple[int, int], Finding] = {}
    checks: tuple[tuple[re.Pattern[str], Callable[[str], bool]], ...] = (
        (_CN_ID, _cn_id_valid),
        (_CARD, _luhn_valid),
        (_SSN, _ssn_valid),
        (_UK_NI, lambda _: True),
    )
    for pattern, valid in checks:
        for match in pattern.finditer(folded):
            span = match.span()
            if valid(re.sub(r"[ -]", "", match.group())) and not any(
                s <= span[0] and span[1] <= e for s, e in found
            ):
                found[span] = Finding("sensitive_data", *span, normal.original[span[0] : span[1]])
    return list(found.values())


def _ssn_valid(digits: str) -> bool:
    return (
        digits[:3] not in ("000", "666") and digits[0] != "9" and digits[3:5] != "00" and digits[5:] != "0000"
    )


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _cn_id_valid(text: str) -> bool:
    """A Chinese resident ID: its check digit, or (a mistyped check digit) a real birth date inside."""
    if len(text) != 18 or not text[:17].isdigit():
        return False
    checksum = sum(int(char) * weight for char, weight in zip(text[:17], _CN_ID_WEIGHTS, strict=True)) % 11
    if "10x98765432"[checksum] == text[17]:
        return True
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    return text[0] in "12345678" and 1900 <= born.year <= 2100


def has_wording(text: str, patterns: Sequence[str]) -> bool:
    """Whether the normalised ``text`` matches every pattern (required wording)."""
    folded = normalise(text).folded
    return all(_compiled(pattern).search(folded) for pattern in patterns)


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@cache
def default_linter() -> Linter:
    return Linter()


def lint(text: str) -> tuple[Finding, ...]:
    return default_linter().lint(text)
