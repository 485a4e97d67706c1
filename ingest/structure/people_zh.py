"""Chinese speaker rules: 单位 + 职务 + 姓名 (and 姓名 + 职务) chains, 、-joined positions, role cues.

Works on the simplified-script copy of the text (same offsets as the original), and returns names, titles and
affiliations as written in the original script. A name is a known surname plus one or two characters (two
surnames in a row allow four, as in 林郑月娥), or a Latin name after a Chinese title (校长Gene D. Block).
When one person has several positions in different organisations, the first-listed one is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .roles import assign_roles, find_cues
from .textutil import to_simplified, word_boundaries

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛"
    "邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝"
    "路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂"
    "全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝屠冼区巴郁茅阎巢"
    "洪赖乐花庾操宛萧阙蔺郜冀逯鄢粟湛邰储晁荆扈厉鞠嵇郦丘栗揭招薄"
    "燕辜晋满宦蒯亢况闻汝钮糜暨郗隗璩桓仉笪羿浦邸禹阚芮鄂寿弘匡禄殳沃蔚夔勾訾竺卿谯蓟佴"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "司徒", "慕容", "端木", "尉迟", "公孙", "长孙", "夏侯")
TITLES = sorted(
    """主席 副主席 主任委员 主任 院长 所长 会长 理事长 校长 书记 部长 市长 省长 区长 县长 局长 厅长 处长 司长 署长
    秘书长 行政长官 行政总裁 总裁 董事长 董事总经理 总经理 经理 总监 主管 研究员 教授 院士 委员 常委 顾问 社长 总编辑
    主编 特派员 组长 发言人 评论员 大使 总领事 领事 参赞 议员 召集人 合伙人 创始人 联合创始人 首席经济学家 经济学家
    馆长 台长 行长 总干事 理事 监事长 董事 首席执行官 政务司司长 财政司司长 律政司司长 特首 校董 党组书记
    党委书记 党委副书记 党组成员 主任医师 讲席教授 副教授 助理教授 研究总监 执行董事 专员 参事 巡视员 总经济师
    部长助理 校长助理 院长助理 总编 常务理事 名誉会长 永远名誉会长 首席代表 荣誉主席 主持人
    主委 政委 参谋长 司令员 军代表 政治委员 领导 专家 学者 成员 负责人 学科带头人 带头人 议长 行政官 首席行政官 知事
    州长 总统 总理 首相 执行长 港商 台商 侨商 企业家 外交家 实业家 慈善家""".split(),
    key=len, reverse=True,
)
MODIFIERS = "(?:一级|二级|三级|四级|原|前|时任|新任|署理|代理|常务|执行|专职|兼职|名誉|首席|资深|创会|创校|创始|荣誉|永远|高级|特聘|首任|候任|助理|总|副)*"
HONORIFICS = "先生|女士|博士|教授|院士|同志|老师"
_HONORIFIC_RE = re.compile(HONORIFICS)
TITLE_RE = re.compile(rf"{MODIFIERS}(?:{'|'.join(TITLES)})(?:助理)?(?:兼(?:{MODIFIERS}(?:{'|'.join(TITLES)})))*(?!会(?!见|晤|谈)|[团处部])")
NOT_NAMES = set("""单位 高校 管理 高级 金融 文化 安全 明天 和平 华人 全国 时任 方面 常务 秘书 成员 党组 关于 于是 林业 商务 商会 国际
    宁波 江苏 江西 湖南 湖北 武汉 山东 山西 云南 贵州 广西 广东 福建 海南 台湾 香港 澳门 上海 北京 深圳 广州 天津 重庆 明年
    时间 高等 高度 全面 全体 应对 应用 应邀 师生 和谐 康复 文明 方式 黄金 龙头 万元 连续 司法 相关 向前 代表 成立 时代
    华东 华南 华北 东方 东亚 南方 北方 西方 安徽 浙江 钟表 石油 严格 尚未 程度 毛泽东 党政 各级 主要""".split())
# Characters that, right after a given-name character, start the next word (致辞, 出席, 表示, 作主旨演讲, 院长 ...)
# and are rare as the last character of a given name. Common name endings that also start verbs (强 as in 强调,
# 博 as in 博士, 发, 建, 希) are not here: only the whole following word stops a name there (FOLLOW_LEXICON).
STOP_AFTER = set("出致主作表在等和与及分代也率对担说先女教院副研部委所会理校书总执行为向就以从将已今昨赴随于了的是任到参、，,。；;：:（(）)“”\"《》 \n谈指介认回呼寄称")
FOLLOW_LEXICON = ("强调", "博士", "博导", "发言", "发表", "发布", "发起", "发现", "建议", "希望", "少将", "中将", "上将", "大校", "上校")
CUE_WORDS = ("表示", "出席", "致辞", "致开幕", "致欢迎", "主持", "指出", "发言", "强调", "认为", "介绍", "作主", "作题")
NAME_STOP_CHARS = set("的了是在与及等为于对从将已也就把被所而并或之其这那有个们兼")  # 向 starts names (李向阳)
ORG_END_CHARS = set("院所会部局委办校馆厅处室")  # 农学院 before 院长 is an organisation, not a name
FOLLOW_WORDS = {"线上", "现场", "先生", "女士", "视频", "通过", "分别", "代表", "随后", "亲临", "出席", "专程", "同志", "一行"}
LATIN_NAME = re.compile(r"[A-Z][a-zà-ÿ]+(?:\s+(?:[A-Z]\.|[A-Z][a-zà-ÿ]+))*(?:\s+[A-Z][a-zà-ÿ]+)")
# A transliterated foreign name: Chinese syllables joined by a middle dot (马丁·雅克)
DOTTED_NAME = re.compile(r"[\u4e00-\u9fff]{1,8}(?:[·・•‧][\u4e00-\u9fff]{1,8})+")
# Time words that put the person in the past (去年……行政长官某某): a recollection, not this event
PAST_TIME_LEAD = re.compile(r"^(?:去年|前年|当年|昔日|早年|早前|上世纪|\d{4}年)")
# Words that may follow the last bare name of a list (委员蔡俊杰、陈子隆应邀出席)
LIST_END_WORDS = ("应邀", "出席", "致辞", "分别", "先后", "共同", "一同", "参加", "表示", "发言", "一行", "等人", "到访", "来访",
                  "莅临", "到场")
# Where the organisation written before a bare listed name may end (中科院微系统所童官军)
LIST_ORG_END = set("所院校系部局委会办司行厅处室心学社团组府馆台站")
JUNK_PREFIX = re.compile(
    r"^(?:[0-9０-９]+月[0-9０-９]+日|上午|下午|晚上|当天|今天|今日|日前|近日|随后|同时|此外|其中|最后|首先|接着|另外|会上|会议上|"
    r"开幕式上|活动上|论坛上|研讨会上|仪式上|在|由|邀请了?|包括|来自|与会嘉宾|出席的有|嘉宾有|还有|以及|和|与|及|并|也|、|，|,|：|:|\s)+"
)
LEVEL_WORDS = {"市", "省", "区", "县", "镇", "校", "院", "本市", "本省", "我市", "我省", "我校", "我院", "全市", "全省"}
INTERNAL_BODY = re.compile(r"(执行委员会|常务委员会|董事会|理事会|监事会|校董会)$")
EVENT_WORDS = re.compile(r"研讨会|论坛|圆桌会|会讲|峰会|年会|座谈会|讲座")
# a person, then "with/meets", before the organisation of the one they meet (卓永兴先与……, 李明会见……)
_PERSON_THEN_WITH = re.compile(r"^([\u4e00-\u9fff]{2,3}?)(?:先|再|也|还|分别)?(?:与|同|跟|会见|会晤|陪同|率)")
# "our office", "this institute": the page's own body, named by no name of its own
SELF_REFERENCE = re.compile(r"(?:我|本|该)(?:办|校|院|所|会|局|委|厅|部|处|中心|单位|公司|协会|学会|研究院|研究所|学院)|单位")
REPORTER = re.compile(r"(?:记者|作者|编辑|摄影|通讯员|责编|责任编辑|撰稿|文|图)\s*[:：]?\s*$")


@dataclass
class ZhMention:
    """A person named in a Chinese sentence (offsets relative to the sentence)."""

    name: str
    start: int
    end: int
    title: str | None
    affiliation: str | None


def _name_after(s: str, pos: int, unfamiliar: bool = True) -> tuple[int, int] | None:
    """Return the span of a Chinese or Latin name starting at pos (right after a title), or None.

    unfamiliar=False reads no name without a known surname (after group words such as 专家).
    """
    latin = LATIN_NAME.match(s, pos)
    if latin:
        return latin.start(), latin.end()
    dotted = DOTTED_NAME.match(s, pos)
    if dotted:
        return _dotted_name(s, dotted.start(), dotted.end())
    for compound in COMPOUND_SURNAMES:
        if s.startswith(compound, pos):
            return _given_name(s, pos, len(compound))
    if pos < len(s) and s[pos] in SURNAMES:
        return _given_name(s, pos, 1) or _name_with_particle(s, pos)
    return _unfamiliar_name(s, pos) if unfamiliar else None


# where a name written right after a title may end: punctuation or the word that follows the name
NAME_BOUNDARY_WORDS = ("会见", "会晤", "会谈", "出席", "表示", "致辞", "致词", "一行", "等", "在", "与", "和", "及", "到会", "参加",
                       "主持", "发表", "作", "说", "指出", "强调", "介绍", "率", "举行", "陪同", "签署", "签订", "先生", "女士",
                       "博士", "教授", "应邀", "分别", "共同", "代表", "也", "还")
GROUP_NOUNS = ("会议", "单位", "人员", "同志", "代表", "干部", "职工", "师生", "学生", "嘉宾", "朋友", "同仁", "企业", "成员")
_NOT_NAME_START = set("级类职位员人名们各一二三四五六七八九十几多个次届年月日等和与及或并暨同")


def _unfamiliar_name(s: str, pos: int) -> tuple[int, int] | None:
    """Return a name without a known surname written right after a title (久渡晃、 横山英幸一行 埃马诺举行会谈).

    Japanese and transliterated names: two to four characters that end exactly where punctuation or the next
    word (出席, 一行, 会见 ...) starts and that are no single dictionary word (单位, 人员).
    """
    if pos >= len(s) or s[pos] in _NOT_NAME_START or s.startswith(CUE_WORDS + NAME_BOUNDARY_WORDS + FOLLOW_LEXICON, pos):
        return None
    for length in (4, 3, 2):
        end = pos + length
        cand = s[pos:end]
        if end > len(s) or not all(_is_han(c) and c not in NAME_STOP_CHARS for c in cand):
            continue
        if not (end == len(s) or s[end] in "、，,。；;：:（()） \n" or s.startswith(NAME_BOUNDARY_WORDS, end)):
            continue
        if (cand in NOT_NAMES or cand[-1] in ORG_END_CHARS or TITLE_RE.search(cand) or EVENT_WORDS.search(cand)
                or any(w in cand for w in GROUP_NOUNS)):
            continue
        if not any(pos < b < end for b in word_boundaries(s)):
            continue  # one dictionary word (单位, 成员), not a name
        return pos, end
    return None


def _name_with_particle(s: str, pos: int) -> tuple[int, int] | None:
    """Return a three-character name whose middle character is also a function word (邵为民会见, 张之洞表示)."""
    end = pos + 3
    if (end < len(s) and s[pos + 1] in "为之其" and _is_han(s[pos + 2]) and s[pos + 2] not in NAME_STOP_CHARS
            and _next_word_starts(s, end)):
        return pos, end
    return None


def _dotted_name(s: str, start: int, end: int) -> tuple[int, int]:
    """Trim a dotted foreign name where the sentence goes on (马丁·雅克从全球视角: stop before 从)."""
    last_dot = max(s.rfind(d, start, end) for d in "·・•‧")
    stop = last_dot + 1
    while stop < end and stop - last_dot <= 5 and not (stop > last_dot + 1 and _next_word_starts(s, stop)):
        stop += 1
    return start, stop


def _given_name(s: str, pos: int, sur_len: int) -> tuple[int, int] | None:
    """Extend a surname at pos with one to three given-name characters, stopping at verbs and delimiters."""
    end = pos + sur_len
    chars = 0
    max_chars = 3 if s[pos + 1:pos + 2] and s[pos + 1] in SURNAMES and sur_len == 1 else 2
    while end < len(s) and chars < max_chars and _is_han(s[end]) and s[end] not in NAME_STOP_CHARS:
        if chars >= 1 and _next_word_starts(s, end):
            break
        end += 1
        chars += 1
    if chars == 3 and (end >= len(s) or not _next_word_starts(s, end)):
        end -= 1
        chars -= 1
    if chars == 2 and s[end - 1:end + 1] in FOLLOW_WORDS:
        end -= 1  # 杨健线上出席: the third character starts the next word
        chars -= 1
    if chars == 0 or s[pos:end] in NOT_NAMES or s[pos:pos + 2] in NOT_NAMES:
        return None  # 高校能共同努力: a word, not a name
    return pos, end


def _next_word_starts(s: str, pos: int) -> bool:
    """Tell whether the word after a name starts at pos (a stop character or a word such as 强调, 博士, 发言).

    A word such as 发表 does not count when a cue starts one character later (卢建发表示: the name is 卢建发).
    """
    if s[pos] in STOP_AFTER:
        return True
    return s.startswith(FOLLOW_LEXICON, pos) and not s.startswith(CUE_WORDS, pos + 1)


def _is_han(ch: str) -> bool:
    """Tell whether a character is a Chinese character (CJK unified ideograph)."""
    return "\u4e00" <= ch <= "\u9fff"


def _plain_name(cand: str) -> bool:
    """Tell whether characters can be a bare name: a surname first, Chinese characters only, no stop character."""
    return cand[0] in SURNAMES and cand not in NOT_NAMES and all(_is_han(c) and c not in NAME_STOP_CHARS for c in cand)


def _name_before(s: str, title_start: int, floor: int) -> tuple[int, int] | None:
    """Return the span of a name written just before a title (王振副院长), or None."""
    for length in (3, 2):
        start = title_start - length
        if start < floor:
            continue
        cand = s[start:title_start]
        if not _plain_name(cand) or cand[-1] in ORG_END_CHARS:
            continue
        prev = s[start - 1] if start > floor else ""
        if prev == "" or prev in "、，,；;：:。 \n" or prev in "院会所部办委局厅团社视盟金心室处组协联府行司署馆校学报台市省区县州系":
            return start, title_start
    return None


def find_mentions(simp: str, orig: str) -> list[ZhMention]:
    """Find every person named with a title or honorific in one sentence (simplified copy + original)."""
    mentions: list[ZhMention] = []
    floor = 0
    pending: list[tuple[str, str]] = []  # (affiliation, title) positions listed before the name
    for m in TITLE_RE.finditer(simp):
        if m.start() < floor:
            continue
        seg_start = _segment_start(simp, m.start(), floor)
        if simp[seg_start:seg_start + 1] == "兼":
            seg_start += 1
        title_end = m.end() + 2 if simp.startswith("代表", m.end()) and _name_after(simp, m.end() + 2) else m.end()
        after = _name_after(simp, title_end, simp[m.start():m.end()] not in GROUP_WORDS)  # 市长代表劳拉·芬卡托
        if after:
            aff = _affiliation(simp, orig, seg_start, m.start())
            title = orig[m.start():title_end]
            mention = _make(orig, after, title, aff, pending)
            if (mention and not REPORTER.search(simp[max(0, seg_start - 6):m.start()]) and not _historical(simp, after[1])
                    and not PAST_TIME_LEAD.match(simp[seg_start:m.start()])):
                mentions.append(mention)
                floor = _shared_title_names(simp, orig, after[1], mention, mentions)
            else:
                floor = after[1]
            pending = []
            continue
        before = _name_before(simp, m.start(), seg_start)
        if before:
            aff = _affiliation(simp, orig, seg_start, before[0])
            mention = _make(orig, before, orig[m.start():m.end()], aff, pending)
            if mention:
                mentions.append(mention)
            floor = m.end()
            pending = []
            continue
        if _ends_segment(simp, m.end()) and simp[m.start():m.end()] not in GENERIC_TITLES:
            pending.append((_affiliation(simp, orig, seg_start, m.start()) or "", orig[m.start():m.end()]))
            floor = m.end()
    if mentions:
        mentions += _bare_listed_names(simp, orig, mentions)
    return mentions + _bare_cued_names(simp, orig)


# A bare name (no title) is still a person when an honorific follows it (梁振英先生) or when it opens a clause and
# gives an address (屠光绍致辞, 屠光绍在开幕式上致辞时表示).
BARE_NAME_CUE = re.compile(r"先生|女士|博士(?!后|生|学位|研究生|点)|老师|(?:在[^，,。；;：:]{0,20})?(?:致辞|致词|致欢迎辞|致欢迎词|致开幕辞|致开幕词|发表主旨演讲|作主旨演讲|作主题演讲)")
HONORIFIC_CUES = ("先生", "女士", "博士", "老师")
BARE_NAME_PREV = set("、，,；;：:。 \n“（(请邀由与和及同")


def _bare_cued_names(simp: str, orig: str) -> list[ZhMention]:
    """Return names written without a title but followed by an honorific or an address cue."""
    out: list[ZhMention] = []
    for m in BARE_NAME_CUE.finditer(simp):
        for length in (3, 2):
            start = m.start() - length
            if start < 0:
                continue
            cand = simp[start:m.start()]
            if (not _plain_name(cand) or cand[:2] in NOT_NAMES or cand[-1] in ORG_END_CHARS or TITLE_RE.search(cand)
                    or any(c in STOP_AFTER for c in cand)):
                continue
            if start == 0 or simp[start - 1] in BARE_NAME_PREV:
                out.append(ZhMention(orig[start:m.start()], start, m.start(), None, None))
                break
            if simp[start - 1] in LIST_ORG_END and m.group(0) in HONORIFIC_CUES:  # 港澳研究中心苏灿博士
                aff = _affiliation(simp, orig, _segment_start(simp, start, 0), start)
                out.append(ZhMention(orig[start:m.start()], start, m.start(), None, aff))
                break
    return out


def _bare_listed_names(simp: str, orig: str, found: list[ZhMention]) -> list[ZhMention]:
    """Add names written as 单位+姓名 without a title inside a 、-list of titled people (复旦出版社副总经理王联合、中科院微系统所童官军)."""
    out: list[ZhMention] = []
    first, last = min(m.start for m in found), max(m.end for m in found)
    for seg in re.finditer(r"[^、，,。；;：:等]+(?=[、，,]|等)", simp):
        if seg.end() < first - 40 or seg.start() > last + 80 or any(m.start < seg.end() and seg.start() < m.end for m in found):
            continue
        in_list = "、" in (simp[seg.start() - 1:seg.start()], simp[seg.end():seg.end() + 1])
        if len(found) < 2 and not in_list:
            continue  # with one titled person only, trust 、-lists, not comma clauses
        span = _trailing_name(simp, seg.start(), seg.end())
        if span:
            aff = orig[seg.start():span[0]].strip() or None
            out.append(ZhMention(orig[span[0]:span[1]], span[0], span[1], None, aff))
    return out


def _trailing_name(simp: str, start: int, end: int) -> tuple[int, int] | None:
    """Return the span of a two- or three-character name closing a segment right after an organisation word."""
    for length in (3, 2):
        name_start = end - length
        if name_start - start < 2:
            continue
        cand = simp[name_start:end]
        if (_plain_name(cand) and simp[name_start - 1] in LIST_ORG_END and not TITLE_RE.search(cand)
                and not _HONORIFIC_RE.search(cand)):
            return name_start, end
    return None


def _historical(simp: str, end: int) -> bool:
    """Tell whether the people just named are past leaders (在前会长何贤……的领导下)."""
    return bool(re.match(r"[^。；]{0,30}?的?领导下", simp[end:]))


def _shared_title_names(simp: str, orig: str, pos: int, first: ZhMention, out: list[ZhMention]) -> int:
    """Add bare names that share the title just written (副理事长刘艺良、叶兆佳); return where they end."""
    while pos < len(simp) and simp[pos] == "、":
        span = _name_after(simp, pos + 1)
        if not span or span[1] >= len(simp) or not (simp[span[1]] in "、，,等的。；;及和" or simp.startswith(LIST_END_WORDS, span[1])):
            break
        out.append(ZhMention(orig[span[0]:span[1]], span[0], span[1], first.title, first.affiliation))
        pos = span[1]
    return pos


def _segment_start(simp: str, pos: int, floor: int) -> int:
    """Return where the segment holding pos starts (after the last 、，；: or the previous name)."""
    cut = max(simp.rfind(ch, floor, pos) for ch in "、，,；;：:。“")
    return max(cut + 1, floor)


def _ends_segment(simp: str, pos: int) -> bool:
    """Tell whether a title ending at pos closes its segment (followed by 、 or ，)."""
    return pos < len(simp) and simp[pos] in "、，,兼"


def _affiliation(simp: str, orig: str, start: int, end: int) -> str | None:
    """Return the organisation written before a title, without leading time words and verbs."""
    text = simp[start:end]
    invite = list(re.finditer(
        r"邀得|邀请到|邀请了?|请到|请来|由|会见了?|会晤了?|看望了?|陪同|拜会了?|接见了?|其中有|还有|图为|领导有|嘉宾有|的有|的", text))
    offset = invite[-1].end() if invite else 0
    junk = JUNK_PREFIX.match(text, offset)
    if junk:
        cut = junk.end()
        while cut > offset and text[cut - 1] in "在由和与及并也" and start + cut not in word_boundaries(simp):
            cut -= 1  # 和平研究所, 和记黄埔: the character starts the organisation's name
        offset = cut
    value = orig[start + offset:end].strip(" ，,、：:")
    lead = _PERSON_THEN_WITH.match(to_simplified(value))
    if lead and _plain_name(lead.group(1)):
        value = value[lead.end():]  # 卓永兴先与国务院港澳办副主任某某: the person met, not the one meeting
    if to_simplified(value) in LEVEL_WORDS or SELF_REFERENCE.fullmatch(to_simplified(value)):
        return None  # 市领导某某, 我办主任某某: "the city's", "our office's" name no organisation
    return value or None


GENERIC_TITLES = {"领导", "领导人", "成员", "港商", "台商", "侨商", "企业家", "外交家", "实业家", "慈善家"}
# words that name a group rather than one person's post: no unfamiliar name is read after them
GROUP_WORDS = {"专家", "学者", "领导", "成员", "代表", "委员", "嘉宾", "港商", "台商", "侨商", "企业家", "外交家", "实业家",
               "慈善家"}


def _make(orig: str, span: tuple[int, int], title: str, aff: str | None, pending: list[tuple[str, str]]) -> ZhMention | None:
    """Build a mention, using the first-listed position when several were written before the name."""
    name = orig[span[0]:span[1]]
    pending = [p for p in pending if not EVENT_WORDS.search(p[0])]
    if pending:
        first_aff, first_title = pending[0]
        if not aff and len(pending) == 1 and first_aff:
            title = f"{first_title}、{title}"  # several posts in one organisation: 党组书记、主席
            aff = first_aff
        elif first_aff:
            title, aff = first_title, first_aff
    if aff and EVENT_WORDS.search(aff) and not pending:
        aff = None
    title, aff = _move_internal_body(title, aff)
    if to_simplified(title) in GENERIC_TITLES:  # 市领导某某, 知名港商某某: "leader", "businessman" are no position
        title = None
        aff = aff if aff and to_simplified(aff)[-1] in LIST_ORG_END else None
    return ZhMention(name, span[0], span[1], title, aff)


def _move_internal_body(title: str, aff: str | None) -> tuple[str, str | None]:
    """Treat an internal body (执行委员会, 董事会) written before the title as part of the title."""
    if aff:
        m = INTERNAL_BODY.search(to_simplified(aff))
        if m and len(aff) > len(m.group(0)):
            return aff[m.start():] + title, aff[: m.start()]
    return title, aff


def mask_titles(text: str, titles: list[str], near: list[int]) -> str:
    """Blank out title words next to names so that cue words inside them (发言人) are not read as cues."""
    out = text
    for title, pos in zip(titles, near):
        if not title:
            continue
        i = out.rfind(title, max(0, pos - len(title) - 30), pos + len(title) + 10)
        if i >= 0:
            out = out[:i] + "＿" * len(title) + out[i + len(title):]
    return out


def people_in_sentence(simp: str, orig: str, known: set[str] | None = None) -> list[tuple[ZhMention, str | None]]:
    """Return each person in a sentence with the role its cues give (None when no cue).

    Names already found elsewhere in the report (known) are also picked up when written bare (陈国基表示).
    """
    mentions = find_mentions(simp, orig) + _known_mentions(simp, orig, known or set())
    mentions = sorted(_drop_overlaps(mentions), key=lambda m: m.start)
    if not mentions:
        return []
    masked = mask_titles(simp, [to_simplified(m.title or "") for m in mentions], [m.start for m in mentions])
    roles = assign_roles(masked, [(m.start, m.end) for m in mentions], "zh")
    if any(r is None and m.title for m, r in zip(mentions, roles)) and find_cues(masked, "zh"):
        roles = [r if r or not m.title else "attendee" for m, r in zip(mentions, roles)]
    return list(zip(mentions, roles))


def _known_mentions(simp: str, orig: str, known: set[str]) -> list[ZhMention]:
    """Return bare occurrences of already known names (simplified forms) in the sentence."""
    out: list[ZhMention] = []
    for name in known:
        for m in re.finditer(re.escape(name), simp):
            out.append(ZhMention(orig[m.start():m.end()], m.start(), m.end(), None, None))
    return out


def _drop_overlaps(mentions: list[ZhMention]) -> list[ZhMention]:
    """Keep titled mentions over bare ones when they cover the same characters."""
    ordered = sorted(mentions, key=lambda m: (m.title is None, m.start))
    kept: list[ZhMention] = []
    for m in ordered:
        if not any(k.start < m.end and m.start < k.end for k in kept):
            kept.append(m)
    return kept
