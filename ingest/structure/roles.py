"""Speaker role cues (English and Chinese) and how a role is picked for a name in a sentence.

A role cue is a phrase such as "keynote", "moderated by", 主旨演讲, 主持开幕式 or 出席. Specific roles (keynote,
opening/closing remarks, moderator, host, panelist, signatory) beat generic ones (speaker, attendee); among cues of
the same strength the nearest to the name wins, cues after the name (its own verb) before cues ahead of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SPECIFIC = {"keynote", "opening_remarks", "closing_remarks", "moderator", "host", "panelist", "signatory"}

EN_CUES: list[tuple[str, str]] = [
    ("keynote", r"keynote"),
    ("opening_remarks", r"opening remarks|opening address|opening speech|welcom(?:e|ing) (?:remarks|speech|address|note)|"
     r"opened with (?:remarks|a speech|an address)|remarks by|began the proceedings|inaugural (?:plenary )?remarks|"
     r"(?:was|were) opened by|opened the (?:event|forum|symposium|seminar|conference|summit|meeting|ceremony)|welcomed (?:the )?(?:guests|participants|audience)|"
     r"(?:extended|gave|offered|delivered) a (?:warm |hearty )?welcome|at the opening of"),
    ("closing_remarks", r"closing (?:remarks|address|speech|note)|concluding remarks|closed the (?:event|forum|symposium|seminar|conference)|wrapped up"),
    ("host", r"co-?chair(?:ed|s|ing)?\b|presided|hosted by|master of ceremon\w+|emcee\w*"),
    ("moderator", r"moderat\w+|hosted (?:a|the) (?:panel|discussion|session|conversation|dialogue)|chaired by|was chaired|were chaired|chaired the|chaired a|\bchair of the (?:panel|session)|facilitated by"),
    ("panelist", r"panel(?:l)?ists?|discussants?|panel members?|on the panel|joined the panel|panel (?:session|discussion)s?|"
     r"\bpanel (?=included|includes|comprised|consisted of|featured|members)|panel of (?:experts|speakers)"),
    ("signatory", r"signed by|sealed by|inked by|signatories|\b(?:re-?|co-?)?signed\b|\binked\b|\bto sign\b"),
    ("attendee", r"officiat\w+|in attendance|witness(?:ed|ing)(?: by)?|\bmet(?: with)?\b|\b(?:led|headed) by\b|\bleading (?:a|the|an?) (?:[\w-]+ ){0,2}delegation|had (?:a )?(?:meeting|talks) with|held talks with|\bled (?:a|the|an?) (?:[\w-]+ )?delegation|\bjoined\b|\battended\b|\bwere (?:also )?present|\bwas (?:also )?present|\baccompanied\b|participated|\battend(?:ing|ees)\b|\balso at the (?:meeting|event|ceremony|signing|reception|forum|talks)|\b(?:also )?present\b|\brepresent(?:ed|ing)\b|\bmembers? of the (?:[\w-]+ )?delegation|officiating guests?|guests? of honou?r|among the (?:guests|attendees)|were in attendance|joined the (?:event|forum|meeting)|representatives"),
    ("speaker", r"\bspeakers?\b|\bread (?:a|the|out)\b|\bspoke\b|\b(?:to )?speak\b|\bdiscussed\b|"
     r"\bwith(?=\s+(?:Professor|Prof\.?|Dr\.?|Mr\.?|Ms\.?|Mrs\.?)\s)|\bspeech(?:es)?\b|expressed (?:views|opinions|the view)|\baddress(?:ed)?\b|\btalk\b|\bsaid\b|\bsays\b|\bpresented\b|\bpresentation\b|\blecture\b|\bshared\b|\bremarked\b|"
     r"\bdelivered\b|\bnoted\b|\bhighlighted\b|\bemphasi[sz]ed\b|\bstressed\b|\bexplained\b|\bintroduced\b|\bled (?:session|a session|the session|the discussion)|\bobserved\b|\bbriefed\b|\bpointed out\b|\bargued\b|\bgave\b|"
     r"\b(?:described|outlined|reviewed|reported|compared|proposed|suggested|recalled|urged|warned|cited|showed|"
     r"summari[sz]ed|illustrated|examined|analy[sz]ed|recommended|acknowledged|predicted|added|told|commented|stated)\b|"
     r"\bcalled (?:for|on)\b|\bcongratulated\b|\bthanked\b|\b(?:discussion|conversation|dialogue)\b|"
     r"\bgiving (?:short |brief )?(?:remarks|a speech|an address|a talk)"),
]
ZH_CUES: list[tuple[str, str]] = [
    ("moderator", r"主持(?:了)?(?:主旨演讲|主题演讲|圆桌|分论坛|讨论|对话|研讨环节|专题|交流环节|单元|环节|平行)|担任主持人"),
    ("host", r"主持(?:了)?(?:开幕式|会议|研讨会|论坛|大会|座谈会|活动|仪式|本次|本届)|主持人|主持"),
    ("keynote", r"主旨演讲|主题演讲|主旨发言|主旨报告|主题报告|主旨讲话|主旨致辞"),
    ("closing_remarks", r"闭幕致辞|闭幕辞|总结讲话|作总结|作了总结|总结发言|^最后|[，,]最后"),
    ("opening_remarks", r"致辞|致词|致欢迎辞|致欢迎词|欢迎辞|欢迎词|开幕辞|开幕词|致开幕辞"),
    ("panelist", r"圆桌(?:会议|讨论|对话|论坛)?(?:环节|上|中)|与谈|主宾发言|对话嘉宾|讨论嘉宾|点评嘉宾|参与讨论|(?:参加|参与)了?圆桌(?:讨论|对话|论坛|会议)|(?:开展|进行|参与|参加)了?(?:圆桌)?对话"),
    ("signatory", r"(?:签署|签约|签字|签订)(?!仪式|活动)"),
    ("attendee", r"出席|参加|到场|到会|主礼嘉宾|陪同|随行|在座|会面|会晤|见证|参会|与会|莅临|接待|到访|拜访|进行了[^。]{0,6}交流|座谈|会见|会谈"),
    ("speaker", r"讲话|发言|演讲|提问|表示|指出|介绍|发表|作报告|作了|分享|主讲|说|认为|强调|提出|寄语|分析|希望|建议|谈到|回顾|呼吁|"
     r"献计献策|建言献策|各抒己见|各舒己见|畅所欲言|(?<![名简号俗统宣声堪职自])称(?![为作号])"),
]


@dataclass
class Cue:
    """A role cue found in a sentence."""

    role: str
    start: int
    end: int


def _compile(cues: list[tuple[str, str]], flags: int) -> list[tuple[str, re.Pattern[str]]]:
    """Compile the cue table."""
    return [(role, re.compile(pattern, flags)) for role, pattern in cues]


_EN = _compile(EN_CUES, re.I)
_ZH = _compile(ZH_CUES, 0)


def find_cues(sentence: str, lang: str) -> list[Cue]:
    """Return every role cue in a sentence, without overlaps (earlier table rows win)."""
    cues: list[Cue] = []
    for role, pattern in _ZH if lang == "zh" else _EN:
        for m in pattern.finditer(sentence):
            if not any(c.start < m.end() and m.start() < c.end for c in cues):
                cues.append(Cue(role, m.start(), m.end()))
    return sorted(cues, key=lambda c: c.start)


ROLE_ORDER = ["keynote", "opening_remarks", "closing_remarks", "moderator", "host", "panelist", "signatory", "speaker", "attendee"]


def _is_forward(cue: Cue, sentence: str, name_starts: list[int], lang: str) -> bool:
    """Tell whether a cue heads the names after it ("Keynote speakers included A", 在主旨演讲环节，A ...)."""
    before_names = [n for n in name_starts if n < cue.start]
    after = [n for n in name_starts if n >= cue.end]
    if not after:
        return False
    gap = sentence[cue.end:after[0]]
    if lang == "zh":
        if not before_names:  # nothing before it in the sentence: it introduces what follows (在主旨演讲环节，A ...)
            return len(gap) <= 40 and not re.search(r"[。；]", gap)
        return len(gap) <= 2 and not re.search(r"[，,。；]", gap)
    cue_text = sentence[cue.start:cue.end]
    meets = _MET_OR_SPOKE.search(cue_text)  # "A met (with) B": B took part in the meeting too
    if _SUBJECT_VERB.search(cue_text) and not meets and not _BY.match(gap):
        return False  # a verb belongs to its subject, not to the names after it
    return bool(_EN_FORWARD_GAP.match(gap))


_MET_OR_SPOKE = re.compile(r"\b(?:met|spoke)(?: with)?$")
_SUBJECT_VERB = re.compile(r"(?:ed|said|says|gave|joined)(?: with)?$", re.I)
_BY = re.compile(r"\s*by\b")
_EN_FORWARD_GAP = re.compile(
    r"^\W*(?:(?:speakers?|guests?|discussion|session|sessions|panel|included|include|including|were|was|are|is|by|of|for|&|"
    r"at|to|in|on|then|also|given|delivered|made|presented|from|with|among|featuring|comprising|the|and|remarks|speech(?:es)?|address(?:es)?|"
    r"mayor|vice|deputy|governor|president|chairman|chairperson|director|secretary|minister|ambassador|consul|general|"
    r"chief|executive|officer|head|councill?ors?|senators?|members?|officials?|delegation|[A-Z][\w.&’'-]*)[\s,:;.–-]*)*$"
)


def assign_roles(sentence: str, spans: list[tuple[int, int]], lang: str) -> list[str | None]:
    """Return a role (or None) for each name span of a sentence, using the cues around it."""
    cues = find_cues(sentence, lang)
    starts = [s for s, _ in spans]
    forward = {id(c): _is_forward(c, sentence, starts, lang) for c in cues}
    roles: list[str | None] = []
    for start, end in spans:
        ahead = [c for c in cues if c.end <= start and forward[id(c)]]
        if ahead:
            near = ahead[-1]
            ahead = [c for c in cues if c.end <= near.end and near.start - c.end <= 12
                     and not any(c.end <= s < near.start for s, _ in spans)]
        own = _own_cluster([c for c in cues if c.start >= end and (not forward[id(c)] or _is_meeting_verb(c, sentence))],
                           spans, end, sentence)
        options = ahead + own
        if not options:  # fall back on a cue that opens the sentence ("The Summit included keynote speeches by ...")
            opening = [c for c in cues if c.end <= start and not any(s < c.start for s, _ in spans)]
            options = [c for c in opening if opening[-1].start - c.end <= 12]
        roles.append(_best(options))
    return roles


_MEETING_VERB = re.compile(r"met(?: with)?", re.I)


def _is_meeting_verb(cue: Cue, sentence: str) -> bool:
    """Tell whether a cue is "met (with)": it applies both to its subject and to the names after it."""
    return bool(_MEETING_VERB.fullmatch(sentence[cue.start:cue.end]))


def _own_cluster(after: list[Cue], spans: list[tuple[int, int]], end: int, sentence: str = "") -> list[Cue]:
    """Return the first run of cues after a name that no other name interrupts.

    The person met is the object of "met": "A met B today and signed the agreement" keeps "signed" for A.
    """
    cluster: list[Cue] = []
    for cue in after:
        between = [s for s, _ in spans if cluster and cluster[-1].end <= s < cue.start]
        if between and not (len(between) == 1 and _is_meeting_verb(cluster[-1], sentence)):
            break
        cluster.append(cue)
    return cluster


def _best(options: list[Cue]) -> str | None:
    """Pick the most specific role among the candidate cues."""
    if not options:
        return None
    specific = [c for c in options if c.role in SPECIFIC]
    if specific:
        return min(specific, key=lambda c: ROLE_ORDER.index(c.role)).role
    if any(c.role == "speaker" for c in options):  # attended and spoke: a speaker (as in merge_role)
        return "speaker"
    return options[0].role


def merge_role(old: str, new: str | None) -> str:
    """Combine two roles seen for one person: a specific role beats speaker, and speaker beats attendee."""
    if new is None:
        return old
    if old in SPECIFIC:
        return old
    if new in SPECIFIC:
        return new
    return "speaker" if "speaker" in (old, new) else old
