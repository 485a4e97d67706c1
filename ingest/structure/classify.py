"""Decide whether a text reports an event that took place, and which kind of event it was.

Rules, in order: letters, agendas/programmes and listing pages are not reports; a lead that announces a future
event (will be held, 定于, 将于 ...) without saying anything already happened is not a report; otherwise a report
needs an event noun (symposium, 研讨会 ...) and a cue that it happened (was held, delivered, 举行, 致辞 ...).
The event type is taken from the word the text uses for the event, preferring the sentence that says it was held.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .dates import find_dates
from .textutil import split_sentences

# (regex, event_type); English nouns are matched case-insensitively, plurals are skipped (see _noun_hits)
EN_NOUNS: list[tuple[str, str]] = [
    (r"symposium|symposia", "symposium"),
    (r"seminar|webinar|colloquium", "seminar"),
    (r"forum", "forum"),
    (r"summit|conference|congress|convention|expo", "conference"),
    (r"round[- ]?table", "roundtable"),
    (r"workshop", "workshop"),
    (r"lecture|public talk|book talk", "lecture"),
    (r"(?:signing|inauguration|opening|launch|award|unveiling|founding)\s+ceremony|ceremony|"
     r"sign(?:ed)?\s+(?:an?|the|their)\s+(?:[\w-]+\s+){0,3}?(?:memorandum|mou|agreement|declaration|letter of intent|accord|pact|protocol)|"
     r"(?:sisterhood|sister[- ]city|twinning|friendship|twin[- ]city)\s+(?:agreement|pact|accord)", "ceremony"),
    (r"annual meetings|co-?operation meeting|meeting|joint conference|working visit|consultation|plenary session|"
     r"(?:official |study |working )?(?:visit|tour) to|delegation", "meeting"),
    (r"luncheon|lunch|dinner|banquet|reception|open day|salon|briefing|launch event|panel discussion|exhibition|debate|"
     r"panel|event", "other"),
]
ZH_NOUNS: list[tuple[str, str]] = [
    (r"学术研讨会|研讨会|研讨活动|专题研讨", "symposium"),
    (r"研修班|学术沙龙", "seminar"),
    (r"高峰论坛|论坛|讲坛", "forum"),
    (r"峰会|年会|大会|博览会|学术会议|国际会议", "conference"),
    (r"圆桌会议|圆桌会|圆桌论坛|圆桌对话", "roundtable"),
    (r"工作坊", "workshop"),
    (r"讲座|报告会|讲堂", "lecture"),
    (r"签约仪式|签字仪式|揭牌仪式|启动仪式|成立仪式|仪式|成立大会|签约|揭牌|成立(?![于以之])", "ceremony"),
    (r"座谈会|交流会|洽谈会|联席会议|工作会议|合作会议|会议|会谈|恳谈会|对接会|推介会|座谈交流|座谈|到访|拜访|访问|考察|会见", "meeting"),
    (r"会讲|午餐会|晚宴|酒会|招待会|春茗|团拜会|沙龙|发布会|开放日|成果展|展览会|展览|活动", "other"),
]

PAST_EN = re.compile(
    r"\b(?:was|were|has been|had been)\s+(?:held|convened|hosted|opened|launched|staged|co-?chaired|organi[sz]ed|attended)"
    r"|\btook place\b|\b(?:convened|hosted|kicked off|co-?chaired|gathered|delivered|moderated|chaired|presided|"
    r"signed|inked|sealed|opened|attended|addressed|spoke|shared|highlighted|remarked|noted|said|held|emphasi[sz]ed|presented|discussed|"
    r"featured|gave|explored|exchanged|led|joined|visited|toured|met)\b|\b(?:are|is) (?:convening|being held|gathering)\b",
    re.I,
)
PAST_ZH = re.compile(r"举行|举办|召开|开幕|闭幕|致辞|主持|发表|出席|表示|指出|作了|介绍|拉开帷幕|成立|签署|参加|与会|围绕|探讨|接待|到访|会见|来到|座谈交流|调研")
FUTURE_EN = re.compile(
    r"\b(?:will be held|will take place|is scheduled|are scheduled|is going to|will (?:(?:also|then|soon|now|formally|officially|jointly|again|personally|each)\s+)?[a-z]{2,}|"
    r"(?:is|are) (?:to|set to|expected to) (?:attend|lead|be|hold|host|visit|deliver|speak|open|take)|"
    r"to be held|to (?:feature|showcase|bring together)|upcoming (?:event|forum|seminar|symposium|conference|lecture|webinar)|register now|registration (?:is|opens)|call for papers|submission deadline|rsvp)\b",
    re.I,
)
FUTURE_ZH = re.compile(r"定于|将于|将在|将会|拟于|即将|定本周|届时|必将|"
                       r"将(?:首度|首次|再次|分别|共同|联合|正式|隆重)?(?:举办|举行|召开|开幕|出席|发表|致辞|担任|邀请|主持|率团|率领|带领|前往|出访|访问|到访|参加|参与|设置|展开|围绕|进行|启动)|"
                       r"(?:论坛|会议|大会|研讨会|活动|嘉宾|代表|专家|学者|领导|首长|双方|两地|本届|主办方)将(?!近)|明[天日](?=[上下]午|晚|将|会|在|于|举|召|开|\(|（|，|,)|下周|欢迎报名|报名方式|敬请|征稿|征文")
AGENDA_TIME = re.compile(r"\b\d{1,2}[:：]\d{2}\s*(?:am|pm)?\s*[-–—~至]\s*\d{1,2}[:：]\d{2}", re.I)
LETTER = re.compile(r"^\s*(?:Dear\s+[A-Za-z]\w*|亲爱的|尊敬的各位)", re.M)
POLICY_ZH = re.compile(r"印发|通知|实施意见|行动计划|规划纲要|管理办法|摘要|关键词")
# people meeting (会见, 座谈): a report of a meeting that happens to cite a plan or a notice is still a report
MET_ZH = re.compile(r"会见|会晤|会谈|座谈|到访|来访")
LISTING_LINE = re.compile(r"(?:Speaker\(s\)|Speakers?\s*:|Topic\s*:|主讲人[:：]|时间[:：])", re.I)
LEAD = 3
# A press conference held to announce an event is not the event: it does not make an announcement a report
PRESS_BRIEFING = re.compile(r"新闻发布会|发布会|记者会|记者招待会|press conference|press briefing|media briefing", re.I)


@dataclass
class Classification:
    """Whether the text is an event report, its type, and the text each decision came from."""

    is_event_report: bool
    event_type: str | None
    reason: str
    type_evidence: str | None = None
    status: str | None = None  # "held" for a report, "announced" for a preview of a future event, else None


# An event word that only modifies a place or an office names no event (seminar room, 会议中心, 论坛秘书处), and one
# after "next"/"upcoming" names a later event, not the one reported.
_NOT_EVENT_AFTER_EN = re.compile(
    r"\s+(?:rooms?|halls?|theat(?:re|er)s?|cent(?:re|er)s?|venues?|facilit(?:y|ies)|secretariat|website|office|"
    r"newsletter|papers?|minutes|notes|budget)\b", re.I)
_NOT_EVENT_BEFORE_EN = re.compile(r"\b(?:next|upcoming|forthcoming)\s+(?:[\w’'-]+\s+){0,3}$")
_NOT_EVENT_AFTER_ZH = re.compile(r"室|厅|堂|中心|网站|官网|秘书处|办公室|章程|会员|纪要|展览中心|展览馆")
_NOT_EVENT_BEFORE_ZH = re.compile(r"(?:下一届|下届|下一次|下次|明年的?)$")


_EN_NOUN_RES = [(re.compile(rf"\b(?:{pattern})(?!s\b|ing\b)\b", re.I), etype) for pattern, etype in EN_NOUNS]
_ZH_NOUN_RES = [(re.compile(pattern), etype) for pattern, etype in ZH_NOUNS]


def _noun_hits(text: str, lang: str) -> list[tuple[int, str, str]]:
    """Return (offset, surface, type) for every singular event noun in the text that names an event."""
    hits: list[tuple[int, str, str]] = []
    for regex, etype in _ZH_NOUN_RES if lang == "zh" else _EN_NOUN_RES:
        for m in regex.finditer(text):
            if not any(h[0] <= m.start() < h[0] + len(h[1]) for h in hits):
                hits.append((m.start(), m.group(0), etype))
    return sorted(h for h in hits if _names_an_event(text, h[0], h[0] + len(h[1]), lang))


def _names_an_event(text: str, start: int, end: int, lang: str) -> bool:
    """Tell whether an event word names an event (not a room or office, not the next edition)."""
    if lang == "zh":
        return not (_NOT_EVENT_AFTER_ZH.match(text, end) or _NOT_EVENT_BEFORE_ZH.search(text[max(0, start - 6):start]))
    return not (_NOT_EVENT_AFTER_EN.match(text, end) or _NOT_EVENT_BEFORE_EN.search(text[max(0, start - 60):start]))


def event_type_of(text: str, lang: str, sentences: list[tuple[int, str]] | None = None) -> tuple[str | None, str | None]:
    """Return (event type, the sentence it came from): the noun in the first 'was held' sentence, else the first noun."""
    sentences = split_sentences(text, lang) if sentences is None else sentences
    hits = _noun_hits(text, lang)
    if not hits:
        return None, None
    past = _HELD_ZH if lang == "zh" else _HELD_EN
    for start, sentence in sentences:
        inside = [h for h in hits if start <= h[0] < start + len(sentence)]
        verb = past.search(sentence)
        if inside and verb and not (FUTURE_ZH if lang == "zh" else FUTURE_EN).search(sentence):
            if lang == "zh":  # the head noun of a Chinese phrase is its last word: the noun nearest before the verb
                before = [h for h in inside if h[0] < start + verb.start()]
                head = before[-1] if before else inside[0]
                joined = [h for h in before if "暨" in text[h[0]:head[0]]]
                return (joined[0] if joined else head)[2], sentence[:300]  # 研讨会暨新书发布仪式: the first event
            return _english_head(inside, verb, start)[2], sentence[:300]
    first = hits[0]
    return first[2], _sentence_at(sentences, first[0])


def _english_head(inside: list[tuple[int, str, str]], verb: re.Match[str], start: int) -> tuple[int, str, str]:
    """Pick the event noun of an English 'held' sentence: the object of an active verb, else the first noun.

    "The X Policy Forum held a seminar" names the event after the verb (the forum is the organiser);
    "The X Forum was held" names it before.
    """
    if not re.match(r"(?:was|were|took|are|is)\b", verb.group(0), re.I):
        after = [h for h in inside if h[0] >= start + verb.start()]
        if after and inside[0][0] < start + verb.start():
            return after[0]
    return inside[0]


_HELD_ZH = re.compile(r"举行|举办|召开|开幕|闭幕|拉开帷幕|成立|开讲|出席|参加|签署|接待|会见")
_HELD_EN = re.compile(
    r"\b(?:was|were)\s+(?:held|convened|hosted|opened|launched|staged|co-?chaired|organi[sz]ed)|\btook place\b|"
    r"\b(?:convened|hosted|holds|held|kicked off|co-?chaired|gathered|signed|opened|attended)\b|\b(?:are|is) convening\b",
    re.I,
)


def _sentence_at(sentences: list[tuple[int, str]], offset: int) -> str:
    """Return the sentence that holds the offset."""
    found = sentences[0][1] if sentences else ""
    for start, sentence in sentences:
        if start <= offset:
            found = sentence
    return found[:300]


def classify(text: str, lang: str) -> Classification:
    """Classify a (simplified-script, for Chinese) text as an event report or not, with the reason."""
    sentences = split_sentences(text, lang)
    negative = _negative_reason(text, lang, sentences)
    if negative == ANNOUNCES:
        return _announcement(text, lang, sentences)
    if negative:
        return Classification(False, None, negative)
    etype, evidence = event_type_of(text, lang, sentences)
    if etype is None:
        return Classification(False, None, "no event word (symposium, forum, 研讨会 ...)")
    if not (PAST_ZH if lang == "zh" else PAST_EN).search(text):
        return Classification(False, None, "no sign that the event took place")
    return Classification(True, etype, "event word and a sign that it took place", evidence, status="held")


ANNOUNCES = "announces a future event"
CALL_FOR_PAPERS = re.compile(r"call for (?:papers?|proposals|abstracts|contributions)|submission deadline|征稿|征文|投稿", re.I)


def _announcement(text: str, lang: str, sentences: list[tuple[int, str]]) -> Classification:
    """Classify a preview: an announced event (status "announced") when it names one, else a plain negative.

    A call for papers announces a call, not an event a researcher would attend, so it stays a plain negative.
    """
    etype, evidence = event_type_of(text, lang, sentences)
    if etype is None or CALL_FOR_PAPERS.search(text[:1500]):
        return Classification(False, None, ANNOUNCES)
    return Classification(False, etype, ANNOUNCES, evidence, status="announced")


NOTICE_TITLE = re.compile(r"^[^\n。]{0,80}(?:通知|公告|启事|通告|公示|须知)(?:[\s（(][^\n]{0,30})?$|^\s*(?:Notice|Public Notice)\b", re.M)
SALUTATION_ZH = re.compile(r"(?:^|\s)各(?:位|有关|相关|会员|成员|二级|部门|单位|院属|所属)[^。：:\n]{0,24}[：:]")
INTERNAL_DOC = re.compile(
    r"\bnot for publication\b|\bfor internal (?:use|circulation)\b|\(internal\)|\bcirculated to [\w\s]{1,40}? only\b|"
    r"内部资料|内部文件|请勿外传", re.I)


def _negative_reason(text: str, lang: str, sentences: list[tuple[int, str]]) -> str | None:
    """Return why the page is not an event report (letter, notice, agenda, listing, announcement, policy), or None."""
    if LETTER.search(text[:300]) or SALUTATION_ZH.search(text[:300]):
        return "a letter or circular (opens with a salutation)"
    first_line = text.lstrip().split("\n", 1)[0]
    if NOTICE_TITLE.match(first_line[:120]):
        return "a notice (通知/公告/启事 in the headline)"
    if INTERNAL_DOC.search(text[:600]):
        return "an internal document (not for publication)"
    if len(AGENDA_TIME.findall(text)) >= 3:
        return "an agenda or programme (three or more time slots)"
    if len(LISTING_LINE.findall(text)) >= 3 or _date_lines(text) >= 3:
        return "a listing of several events"
    if CALL_FOR_PAPERS.search(_opening(text)):
        return "a call for papers (in the headline or the opening lines)"
    if _announces_future(sentences, lang):
        return ANNOUNCES
    if _is_paper(text, lang):
        return "an academic paper (author header or numbered references)"
    if lang == "zh" and POLICY_ZH.search(text[:400]) and not _held_zh(text) and not MET_ZH.search(text[:400]):
        return "a policy text, notice or abstract"
    return None


def _date_lines(text: str) -> int:
    """Count lines that hold only a date (or start with one), as event listings have."""
    count = 0
    for line in text.splitlines():
        line = line.strip()
        if 5 <= len(line) <= 40:
            found = find_dates(line)
            if found and found[0].start <= 2 and len(found[0].surface) >= len(line) - 12:
                count += 1
    return count


def _announces_future(sentences: list[tuple[int, str]], lang: str) -> bool:
    """Tell whether the opening announces a future event and nothing in it says an event already took place.

    The opening is its first substantive sentences (navigation and date lines skipped). Past acts that are not
    the event do not count against an announcement: the press conference that presents it, past editions and
    habits (历届, 已成功举办至第四届, every year), history (then, originally, in an earlier year, years ago), and a
    headline, whose verb has no tense (论坛周日举行 announces a forum on Sunday). A delegation being hosted now
    ("is hosting a delegation") is under way, not announced.
    """
    opening = _substantive(sentences)[:LEAD_SENTENCES]
    future = FUTURE_ZH if lang == "zh" else FUTURE_EN
    if not any(future.search(s) for _, s in opening):
        return False
    body = opening[1:] if opening and _is_headline(opening[0][1], lang) else opening
    planning = False  # a Chinese verb has no tense: after a plan, a bare 到访/举行 goes on describing the plan
    for _, sentence in body:
        if future.search(sentence):
            planning = True
        elif _says_held(sentence, lang) and not (lang == "zh" and planning and not _PAST_MARK_ZH.search(sentence)):
            return False
    return True


LEAD_SENTENCES = 4


def _substantive(sentences: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Return (index, sentence) of sentences with words in them: no navigation (Home > News), date or credit lines."""
    out = []
    for k, (_, s) in enumerate(sentences):
        s = s.strip()
        if re.search(r"[>›»]", s) or len(s) < 12 or not re.search(r"[^\W\d_]{2}", s):
            continue
        if len(find_dates(s)) and len(re.sub(r"[\d\s:/.\-–—,年月日号時时]", "", s)) < 12:
            continue
        out.append((k, s))
    return out


def _is_headline(sentence: str, lang: str) -> bool:
    """Tell whether a first line is a headline: short, without sentence punctuation, not ending like a sentence."""
    limit = 45 if lang == "zh" else 120
    line = sentence.strip()
    return len(line) <= limit and not re.search(r"[。！？；]|[.;]\s", line) and not line.endswith((".", "!", "?"))


_HELD_NOW_EN = re.compile(r"\b(?:is|are)\s+(?:hosting|holding|welcoming|convening|visiting|touring|gathering)\b", re.I)
_LATER_EN = re.compile(r"\b(?:next|upcoming|tomorrow|later this|coming|will)\b|\bon\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b", re.I)
_HISTORY_EN = re.compile(r"\b(?:then|originally|back in|years? ago|decades? ago|since|last year)\b|\b(?:in|of|since)\s+(?:[A-Z][a-z]+\s+)?(?:19|20)\d{2}\b", re.I)
# a held event, in Chinese: the verbs that say an event took place (not 表示/介绍/探讨, which an announcement uses too)
HELD_ZH = re.compile(r"举行|举办|召开|开幕(?!式)|闭幕(?!式|大会)|拉开帷幕|致辞|主持|出席|会见|会晤|会谈|签署|签约|签订|到访|莅临|参加|与会|成立|接待|调研|来到")
_PAST_MARK_ZH = re.compile(r"了|已经?|昨[天日]?|日前|近日|刚刚|成功|顺利|圆满|落下帷幕")
# English verbs saying that something of the event already happened (the announcement test only)
_PAST_ACT_EN = re.compile(r"\b(?:visited|travell?ed|arrived|welcomed|received|presented|toured|celebrated|delivered|spoke|"
                          r"addressed|planted|unveiled|exchanged|discussed|shared)\b")
_QUOTED_TITLE = re.compile(r"[“\"「『][^”\"」』]{0,200}[”\"」』]")
_HISTORY_ZH = re.compile(r"历届|以来|曾(?:经)?|去年|上届|首届|往届|已(?:经)?(?:成功)?(?:举办|举行|召开)(?:至|到|了)?(?:第?[一二三四五六七八九十百\d]+|多)届|"
                         r"(?:19|20)\d{2}年")


def _says_held(sentence: str, lang: str) -> bool:
    """Tell whether a sentence says this page's event took place (or is under way), as opposed to planning it."""
    sentence = _QUOTED_TITLE.sub("", sentence)  # a quoted title's words are no verbs ("Shaping a Shared Future")
    if PRESS_BRIEFING.search(sentence):
        return False
    if lang == "zh":
        if FUTURE_ZH.search(sentence) or _HISTORY_ZH.search(sentence):
            return False
        return bool(HELD_ZH.search(_NOT_A_PAST_CUE_ZH.sub("", sentence)))
    if FUTURE_EN.search(sentence):
        return bool(_HELD_NOW_EN.search(sentence)) and not _LATER_EN.search(sentence)
    if _HISTORY_EN.search(sentence):
        return False
    return bool(_HELD_EN.search(sentence) or _PAST_ACT_EN.search(sentence)
                or (_HELD_NOW_EN.search(sentence) and not _LATER_EN.search(sentence)))


def _opening(text: str) -> str:
    """Return the headline and the first lines of a text (about 300 characters)."""
    return text.lstrip()[:300]


# "论坛的召开" names the event as a noun, and "每年举办" / "批准举办" describe a habit or a permission: neither says
# that this edition has already happened.
_NOT_A_PAST_CUE_ZH = re.compile(r"的(?:召开|举行|举办)|(?:每年|每届|历届|定期|批准|申请|计划|负责|轮流)(?:在[^，,。]{0,8})?(?:举办|举行|召开)")
# An academic paper: an author line with a postcode in brackets, or three or more numbered references.
PAPER_HEADER = re.compile(r"[（(][^()（）\n]{2,60}\d{6}\s*[)）]")
NUMBERED_REF = re.compile(r"\[(\d{1,3})\]")


def _is_paper(text: str, lang: str) -> bool:
    """Tell whether the text is an academic paper (author/postcode header or numbered references, nothing held)."""
    if PAPER_HEADER.search(text[:400]):
        return True
    refs = {m.group(1) for m in NUMBERED_REF.finditer(text)}
    held = _held_zh(text) if lang == "zh" else bool(_HELD_EN.search(text))
    return len(refs) >= 3 and not held


def _held_zh(text: str) -> bool:
    """Tell whether a Chinese text says an event was held (举行, 召开, 举办 ...)."""
    return bool(re.search(r"(?:研讨会|论坛|会议|座谈会|峰会|讲座)[^。]{0,30}(?:举行|召开|举办)|(?:举行|召开|举办)[^。]{0,10}(?:研讨会|论坛|会议|座谈会|峰会|讲座)", text))
