"""Text normalisation for the message linter, keeping a map back to the original text.

What it undoes: full-width forms (``Ｐａｙ`` -> ``pay``), case, a few Cyrillic look-alikes, traditional
Chinese characters (a compact map covering the characters the linter's patterns use), zero-width
characters, separators put between Chinese characters (``报-警``, ``杀·了·你``), letters spelled out one
by one (``k i l l``, ``h.u.r.t``), and l33t digits and symbols inside words (``k1ll``, ``sh!t``,
``sc@mmer``). Every step but the deletions keeps the length, so a span found in the normalised text maps
back to the original text exactly.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

# Pairs of (traditional, simplified) characters, written as one string of alternating characters.
_TRADITIONAL_PAIRS: Final = (
    "還还錢钱殺杀們们報报將将會会門门車车賣卖貸贷債债務务訴诉訟讼單单網网貼贴開开個个資资訊讯錄录識识屬属親亲"
    "領领導导無无賴赖騙骗廢废罵骂斷断讓让後后負负別别氣气緝缉監监獄狱詐诈執执啟启動动輩辈凍冻結结機机鐵铁飛飞"
    "終终徵征響响學学員员險险現现變变訪访裡里裏里這这麼么說说話话給给來来時时間间東东滾滚喪丧殘残燒烧潑泼點点"
    "見见聯联繫系係系絡络發发佈布張张區区掛挂臺台國国際际銀银戶户產产養养唄呗當当買买費费賬账帳账償偿處处罰罚"
    "據据證证號号碼码郵邮專专業业紀纪記记請请絕绝從从沒没須须為为對对於于與与並并萬万應应該该準准備备試试爛烂"
    "騷骚擾扰鬧闹種种臉脸賤贱腦脑豬猪媽妈幹干場场題题問问鄰邻闆板廠厂師师長长紙纸頭头條条聽听傳传懲惩強强劃划"
    "銷销護护簽签註注錯错誤误壞坏難难辦办讀读書书軍军關关樓楼圍围觀观擴扩轉转腳脚塊块滅灭槍枪災灾禍祸兒儿醫医"
    "療疗賭赌搶抢奪夺綁绑賠赔嗎吗務务勢势隊队歸归習习鬥斗擊击刪删傷伤恥耻辱辱撥拨電电視视聞闻議议論论權权裁裁"
    "價价額额餘余剩剩欠欠紅红黃黄龍龙鳳凤雞鸡鴨鸭鳥鸟魚鱼狗狗貓猫蟲虫淚泪嚇吓恐恐脅胁迫迫騙骗勸劝誘诱逼逼憑凭"
    "勞劳獎奖彈弹藥药炮炮錘锤鋼钢鐘钟鏈链鎖锁搖摇擺摆顯显釋释綜综藝艺術术園园廳厅陽阳陰阴隨随雜杂難难韓韩簡简"
    "體体聲声響响顧顾頁页項项順顺預预領领頻频額额題题風风飯饭飲饮餓饿館馆馬马駕驾騎骑驗验鬆松鹹咸麥麦黨党齡龄"
    "門门閉闭閃闪問问闖闯闊阔闌阑關关陣阵陳陈階阶隱隐雙双雖虽雲云電电靈灵靜静韋韦頂顶順顺須须頒颁預预頓顿頗颇"
    "領领頭头頸颈頻频顆颗題题額额顏颜願愿類类顧顾顯显風风飄飘飛飞餅饼養养餵喂館馆首首馬马馳驰馴驯駐驻駛驶駭骇"
    "騰腾驅驱驚惊驟骤體体髮发鬧闹魂魂魚鱼鮮鲜鳥鸟鳴鸣鴻鸿鵝鹅鶴鹤鷹鹰鹽盐麗丽麵面黃黄黨党齊齐齒齿龍龙龜龟"
    "訂订計计討讨訓训託托記记訪访設设許许評评詞词詢询試试詩诗該该詳详誇夸認认誓誓說说誰谁課课調调談谈請请諒谅"
    "論论諸诸謀谋謂谓講讲謝谢謠谣證证識识譜谱警警譯译議议護护讀读變变讓让贊赞貝贝負负財财貢贡貧贫貨货販贩貪贪"
    "貫贯責责貴贵貶贬貸贷費费貼贴貿贸賀贺資资賈贾賊贼賓宾賜赐賞赏賠赔賢贤賣卖賤贱質质賬账賭赌賴赖購购賽赛贈赠"
    "贏赢趕赶趙赵躍跃車车軌轨軍军軟软較较載载輔辅輕轻輛辆輝辉輩辈輪轮輸输轉转辦办辭辞農农邊边遲迟遠远適适遷迁"
    "選选遺遗還还鄉乡鄭郑鄰邻醜丑釀酿針针釣钓鈔钞鈕钮鈴铃鉛铅銀银銅铜銳锐鋪铺鋒锋鋼钢錄录錢钱錦锦錯错鍋锅鍵键"
    "鎮镇鏡镜鐘钟鐵铁鑑鉴長长門门閃闪閉闭開开閑闲間间閘闸閣阁閱阅闆板闖闯關关闡阐隊队階阶際际陸陆陽阳隨随險险"
    "隻只雖虽雙双雜杂雞鸡離离難难雲云電电霧雾靈灵靜静頁页頂顶項项順顺須须預预頑顽頓顿頗颇領领頭头頸颈頻频顆颗"
    "麼么們们個个來来兩两傘伞備备傳传債债傷伤傾倾僅仅價价儀仪億亿優优兒儿兇凶黨党內内冊册凈净凍冻劃划劉刘則则"
    "剛刚創创劇剧務务動动勝胜勞劳勢势勵励區区醫医華华協协卻却厭厌厲厉參参叢丛吳吴呂吕員员問问啟启喪丧喚唤嗎吗"
    "嘆叹噴喷嚴严囑嘱團团園园圍围圖图圓圆聖圣場场塊块堅坚報报墳坟壓压壞坏壯壮壽寿夢梦夠够奪夺奮奋婦妇媽妈嬰婴"
    "寧宁實实審审寫写寬宽對对尋寻導导屆届層层嶺岭島岛帥帅師师帳账帶带幣币幫帮幹干幾几庫库廣广廳厅廢废彈弹彎弯"
    "徹彻徵征恆恒惡恶惱恼愛爱態态慘惨慣惯慶庆憂忧憑凭懷怀懸悬戀恋戰战戲戏戶户拋抛挾挟捨舍掃扫掙挣揀拣換换揮挥"
    "損损搖摇搶抢摯挚摟搂撐撑撥拨擁拥擇择擊击擔担據据擠挤擬拟擴扩擾扰攔拦攜携敗败敵敌數数斂敛斬斩於于無无舊旧"
    "時时晉晋晝昼暈晕暫暂曆历曉晓書书會会朧胧東东棄弃條条楊杨極极榮荣構构槍枪樂乐標标樣样樹树橋桥機机檔档檢检"
    "櫃柜權权歡欢歲岁歷历歸归殘残殼壳毀毁氣气漢汉湯汤溝沟滅灭滬沪滿满漁渔漲涨潔洁潛潜潤润澤泽濃浓濕湿濟济濤涛"
    "瀉泻災灾為为烏乌無无煙烟煩烦熱热爭争爺爷牆墙牽牵狀状猶犹獨独獲获獸兽獻献瑪玛環环產产畝亩畢毕異异疊叠瘋疯"
    "療疗癢痒發发盜盗盡尽監监盤盘眾众睜睁碼码確确禮礼禍祸禦御稅税種种稱称穩稳窮穷竊窃競竞筆笔範范築筑簡简簽签"
    "籃篮籠笼糧粮緊紧紅红約约級级紀纪紋纹納纳紐纽純纯紗纱紙纸紛纷細细終终組组絆绊結结絕绝絡络給给統统絲丝經经"
    "綁绑綠绿維维綱纲網网緒绪線线締缔編编緩缓練练縣县縮缩績绩繁繁織织繞绕繩绳繳缴纏缠罰罚罷罢羅罗義义習习翹翘"
    "聖圣聞闻聯联聰聪聲声職职肅肃腸肠腳脚膽胆膚肤臟脏臨临舉举艙舱艱艰藍蓝蘇苏蘭兰虛虚號号蟲虫蠻蛮衛卫補补裝装"
)
_CYRILLIC_LOOKALIKES: Final = "аaеeоoрpсcхxуyіiкkмmтtнh"
_ZERO_WIDTH: Final = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_LEET: Final = {
    "0": "o",
    "1": "i",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "@": "a",
    "$": "s",
    "!": "i",
    "|": "l",
}


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII
        table[code] = chr(code - 0xFEE0).lower()
    table[0x3000] = " "  # ideographic space
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = chr(code).lower()
    pairs = _TRADITIONAL_PAIRS + _CYRILLIC_LOOKALIKES
    for index in range(0, len(pairs) - 1, 2):
        if pairs[index] != pairs[index + 1]:
            table[ord(pairs[index])] = pairs[index + 1]
    for char in _ZERO_WIDTH:
        table[ord(char)] = "\u200b"
    return table


FOLD: Final = _fold_table()
_CJK = "\u3400-\u9fff"
# Each deletion pattern starts with a character class, which the regex engine scans for quickly.
_ZERO_WIDTH_RUN: Final = re.compile("\u200b+")
_BETWEEN_CHINESE: Final = re.compile(rf"[{_CJK}]([\W_]{{1,3}})(?=[{_CJK}])")
# Three or more single letters (or l33t symbols), each followed by one or two separators: "k i l l".
_SPELLED: Final = re.compile(r"[^a-z0-9]([a-z0-9@$!|*](?:[\W_]{1,2}[a-z0-9@$!|*](?![a-z0-9])){2,})")
_SPELLED_SEPARATORS: Final = re.compile(r"[^a-z0-9@$!|*]+")
_LEET_CHARS: Final = re.compile(r"[013457@$!|](?:(?<=[a-z].)(?=[a-z0-9@$!|]*[a-z])|(?=[a-z]))")


@dataclass(frozen=True)
class Normalised:
    """``text`` is what patterns run on; ``folded`` has the original's length (same indices)."""

    original: str
    folded: str
    text: str
    _segment_starts: tuple[int, ...]  # index in `text` where each kept segment starts
    _segment_origins: tuple[int, ...]  # index in the original where that segment starts

    def original_index(self, index: int) -> int:
        segment = bisect_right(self._segment_starts, index) - 1
        return self._segment_origins[segment] + index - self._segment_starts[segment]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that ``text[start:end]`` came from."""
        if end <= start:
            position = self.original_index(start) if start < len(self.text) else len(self.original)
            return position, position
        return self.original_index(start), self.original_index(end - 1) + 1


@lru_cache(maxsize=1024)  # a message is linted, checked for debt details and for wording: normalise once
def normalise(text: str) -> Normalised:
    folded = text.translate(FOLD)
    deleted = _deleted_spans(folded)
    if not deleted:
        squeezed = _LEET_CHARS.sub(_unleet, folded)
        return Normalised(text, folded, squeezed, (0,), (0,))
    pieces: list[str] = []
    starts: list[int] = []
    origins: list[int] = []
    position = 0
    length = 0
    for start, end in deleted:
        if start > position:
            starts.append(length)
            origins.append(position)
            pieces.append(folded[position:start])
            length += start - position
        position = end
    if position < len(folded) or not starts:
        starts.append(length)
        origins.append(position)
        pieces.append(folded[position:])
    squeezed = _LEET_CHARS.sub(_unleet, "".join(pieces))
    return Normalised(text, folded, squeezed, tuple(starts), tuple(origins))


def _deleted_spans(folded: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    if "\u200b" in folded:
        spans.extend(match.span() for match in _ZERO_WIDTH_RUN.finditer(folded))
    if not folded.isascii():
        spans.extend(match.span(1) for match in _BETWEEN_CHINESE.finditer(folded))
    for match in _SPELLED.finditer(" " + folded):
        base = match.start(1) - 1
        spans.extend((base + s.start(), base + s.end()) for s in _SPELLED_SEPARATORS.finditer(match.group(1)))
    return _merged(spans)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _unleet(match: re.Match[str]) -> str:
    return _LEET[match.group()]
