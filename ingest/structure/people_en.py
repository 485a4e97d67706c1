"""English speaker rules: honorifics, title phrases before names, appositions after names, role cues.

Patterns covered: "Mr. Leung Chun-ying, Vice Chairperson of the CPPCC", "Chief Executive Carrie Lam",
"HKSAR Financial Secretary Paul Chan", "Jiang Feng, the university's Party secretary, said",
"The Director of the Singapore ETO, Mr Owin Fung, gave ...". People named as historical ("the-then",
"... years ago") or as bylines are skipped; a person is kept only when a role cue in the sentence applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .gazetteer import is_place, leading_place
from .placenames import place_index
from .roles import assign_roles

UP = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĖĘĚĞĢĪĮİĶĹĻĽŁŃŅŇŌŐŒŔŘŚŞŠŢŤŪŮŰŲŹŻŽ"
LO = "a-zß-öø-ÿāăąćčďđēėęěğģīįıķĺļľłńņňōőœŕřśşšţťūůűųźżž"
TOKEN = rf"(?:[{UP}][{LO}]\.(?=\s+[{UP}][{LO}])|[{UP}][{LO}]+(?:[-’'][{UP}{LO}][{LO}]+)*|[{UP}]{{2,}}(?![{LO}])|(?:[{UP}]\.){{2,3}}(?=\s)|[{UP}]\.?(?=\s))"
# lower-case particles inside Portuguese, Macanese and other European names (José Maria da Rocha Sequeira)
PARTICLE = r"(?:da|de|do|dos|das|del|della|di|du|van|von|der|den|le|la|ul|bin|binti|ibn)"
_CAPITAL_RUN = re.compile(rf"{TOKEN}(?:\s+(?:{PARTICLE}\s+)?{TOKEN})*")
HONORIFIC = r"(?:Mr|Mrs|Ms|Mdm|Madam|Madame|Dr|dr|Prof|Professor|Sir|Dame|Hon|H\.E|The Honou?rable|the Honou?rable|MR|MRS|MS|DR|PROF)\.?"
HONORIFIC_RE = re.compile(rf"{HONORIFIC}\s*$")
_PARTICLE_RE = re.compile(PARTICLE)
_CAPS_TOKEN = re.compile(rf"[{UP}]+\.?")  # an initial or an all-capitals word (A., WTO)
_CAPS_WORD = re.compile(rf"[{UP}]{{2,}}")
_ACRONYM = re.compile(r"[A-Z]{2,}[\w-]*")  # CUHK, HKSAR-based
# capitalised words that may sit inside a name (Chui Sai On, Ho Iat Seng) though they are small words elsewhere
_INNER_SMALL = ("On", "In", "An", "A", "Ho", "To")
# honours, degrees and fellowship letters after a name (FRS, FBA, FLSW, FREng, FAcSS)
HONOURS = re.compile(r"(?:\s+(?:CMG|OBE|MBE|CBE|KBE|GBS|SBS|GBM|JP|BBS|PhD|Ph\.D\.|Esq|F[A-Z][A-Za-z]{0,3}[A-Z]|F[A-Z]))+$")

TITLE_WORDS = {
    w.lower() for w in """Chairman Chairperson Chairwoman Chair Co-Chair Co-Chairs Vice-Chairman Vice-Chair President Director
    Director-General Secretary Secretary-General Minister Mayor Governor Executive CEO COO CFO Founder Co-founder
    Co-Founder Dean Professor Fellow Researcher Expert Head Manager Partner Ambassador Ambassador-at-Large Consul Consul-General Counselor
    Counsellor Commissioner Treasurer Member Editor Editor-in-Chief Principal Vice-Chancellor Chancellor Provost Rector
    Analyst Economist Coordinator Co-ordinator Adviser Advisor Officer Representative Spokesperson Spokesman Premier
    Legislator Lawmaker Councillor Councilor Convenor Convener Scholar Lecturer Scientist Leader Chief Superintendent
    Deputy Vice Senior Assistant Associate Managing General Emeritus Honorary Founding Acting Permanent Special Former
    Financial Foreign Prime Lieutenant Executive-Director Strategist Academician Consultant Attorney Judge
    Justice Registrar Curator Journalist Commentator Trustee Envoy Delegate Under-Secretary PM Publisher
    Student Vice-President Vice-Chairperson Party Senator Congressman Congresswoman Assemblyman Assemblywoman
    Alderman Councilman Councilwoman Supervisor Administrator Supt Chairpersons Councillors Councilors Senators
    Mayors Governors Ministers Secretaries Officials Directors Members Delegates Representatives Teacher Instructor
    Tutor Postdoctoral""".split()
}
# plural position words that head a list of bare names ("councilors A, B and C"), with their singular
PLURAL_TITLES = {"councillors": "councillor", "councilors": "councilor", "senators": "senator", "mayors": "mayor",
                 "governors": "governor", "ministers": "minister", "secretaries": "secretary", "members": "member",
                 "directors": "director", "delegates": "delegate", "representatives": "representative",
                 "officials": "official", "chairpersons": "chairperson"}
HEAD_TITLES = {
    w.lower() for w in """Chairman Chairperson Chairwoman Chair Co-Chair President Director Director-General Secretary
    Secretary-General Minister Mayor CEO Founder Co-founder Dean Professor Fellow Researcher Expert Head Manager Partner
    Ambassador Ambassador-at-Large Consul Consul-General Counselor Counsellor Commissioner Treasurer Member Editor Principal Chancellor
    Vice-Chancellor Provost Rector Analyst Economist Coordinator Co-ordinator Adviser Advisor Officer Representative
    Spokesperson Spokesman Premier Legislator Lawmaker Councillor Councilor Convenor Convener Scholar Lecturer Scientist
    Leader Governor Executive Strategist Academician Consultant Trustee Envoy Delegate Under-Secretary PM Registrar
    Curator Journalist Commentator Judge Vice-Chairman Senator Congressman Congresswoman Assemblyman Assemblywoman
    Alderman Councilman Councilwoman Supervisor Administrator Supt Chief Councillors Councilors Senators Teacher
    Instructor Tutor""".split()
}
ABBREVIATED_TITLES = {"PM": "Prime Minister", "CE": "Chief Executive", "FS": "Financial Secretary"}
NONNAME = {
    w.lower() for w in """University Institute Institution Center Centre Foundation Council Committee Association Chamber Government
    Department Ministry Bureau Office Academy School Program Programme Bank Group Company Limited Ltd Holdings Corporation
    Commission Party Congress Forum Summit Symposium Seminar Conference Society Federation Union Alliance Agency Authority
    Board Trust Fund Club House Hall Room Hotel Building Tower Plaza Street Road Avenue College Faculty Studies Research
    Development Economic Economics Policy Affairs Relations International National Global Asia Asian Pacific China Chinese
    Mainland Greater Bay Area Belt Initiative The A An In On At For Of And During After Before His Her He She They It This
    That These Those Session Panel Day Keynote Speaker Speakers Credit Photo Source Live Videos Photos Agenda Register Past
    Event News Media Year Years Plan Plans Five-Year Special Administrative Region Republic People People’s Kingdom States
    United European Europe America American Western Eastern Southeast South North East West Islam Indo Free Open Trade
    January February March April May June July August September October November December Monday Tuesday Wednesday
    Thursday Friday Saturday Sunday Memorandum Understanding MoU Council’s Exchange Network Times Daily Post Service
    Services Science Technology Innovation Zone Port City Cities Province Municipal State Standing Lecture Series Sessions
    Their Our We Its ASEAN CPC CCP CPPCC NPC HKSAR SAR WTO EU US UK UN Sino-U Sino-US Meanwhile However According
    Also While When Under Through Following Today Yesterday Tomorrow Vision Dialogue Roundtable Workshop Ceremony
    Opening Closing Welcome Remarks Address Speech Group’s Team Report Reports Annual Meetings Meeting Cooperation
    Panellists Panelists Panellist Panelist Moderator Moderators Guests Guest Participants Chaired Moderated Hosted
    Co Inc LLC Corp Plc GmbH
    Universidade Instituto Associação Fundação Centro Sociedade Escola Banco Conselho Comissão Governo Direcção Direção
    Serviços Câmara Assembleia Universidad Fundación Asociación Colegio Escuela Consejo Ayuntamiento Municipalidad
    One Two Three Four Five Six Seven Eight Nine Ten Country Systems System First Second Third Prior
    Co-operation Conference’s Summit’s Forum’s Mr Mrs Ms Mdm Madam Madame Dr Prof Sir Dame Hon Honorable Honourable
    Treasury Commerce Finance Education Culture Labour Health Security Justice Environment Transport Housing Welfare
    Constitutional Industry Works Planning Lands Home Civil Tourism Youth Sports Legislative Executive
    Parliament Senate Legislature Municipality Administration Court Cabinet Secretariat Organization Organisation
    Consulate Consulate-General Embassy Mission Delegation Museum Library Hospital Province""".split()
} | TITLE_WORDS
BY_CUE = re.compile(
    r"\b(?:moderated|chaired|hosted|presided over|introduced|given|delivered|presented|led|opened|closed|signed|officiated|"
    r"facilitated|joined|represented|accompanied|attended|witnessed|received|welcomed|emceed|headed) by\s*$"
    r"|\b(?:(?:also\s+)?present\s+(?:was|were)|present\s+were|namely|also at the (?:meeting|event|ceremony|signing|reception|talks)"
    r" (?:was|were)|in attendance (?:was|were)|guests? (?:included|were)|delegation (?:included|comprised|consisted of))\s*[:,]?\s*$",
    re.I)
LEADING_HONOURS = re.compile(r"^(?:\s*(?:GBM|GBS|SBS|JP|BBS|MH|OBE|CBE|MBE|KBE|CMG|PDSM|PMSM|IDSM|PhD)\s*,)+\s*")
SPEECH_VERBS = re.compile(
    r"^\s*(?:’s\s+)?(?:said|says|noted|added|remarked|stated|emphasi[sz]ed|stressed|highlighted|observed|explained|delivered|"
    r"gave|spoke|presented|shared|moderated|chaired|presided|expressed|pointed out|believes|hoped|welcomed|opened|introduced|"
    r"thanked|represented|representing|echoed|urged|called|outlined|reflected|mentioned|argued|suggested|led|kicked off|was also|were also|attended|congratulated|"
    r"moderates|chairs|hosts|speaks|presents|discusses|explains|argues|notes|gives|leads|opens|welcomes|delivers|shares|"
    r"joined|warned|told|addressed|commented|concluded|began|hosted|signed|announced|read)\b"
)
HISTORICAL_BEFORE = re.compile(
    r"\b(?:the-then|then|late)\s+[A-Z][^.;]{0,60}$|\b(?:last year|last month|years ago|earlier this year|previously)\b[^.;]{0,80}$")
HISTORICAL_AFTER = re.compile(r"^[^.;]{0,80}\b(?:\d+|several|many|two|three|four|five|ten|twenty|thirty) years ago\b", re.I)
BYLINE = re.compile(r"(?:(?:^|\n|\|)\s*By|\b[Rr]eporter|\b[Ww]riter|\bCredit:|\bPhoto:|\bSource:)\s*$")
INTERNAL_BODY = re.compile(r"^(?:the\s+)?(Executive Committee|Board of Directors|Board of Trustees|Board of Governors|Advisory Board|Standing Committee|Governing Board|Board)\s+of\s+", re.I)


@dataclass
class EnMention:
    """A person named in an English sentence (offsets relative to the sentence)."""

    name: str
    start: int
    end: int
    title: str | None
    affiliation: str | None


def _tokens_ok(tokens: list[str]) -> bool:
    """Tell whether capitalised tokens can form a person's name (no org, title, place or calendar words)."""
    if len(tokens) < 2 or any(len(t.rstrip(".")) > 1 and _non_name_word(t.rstrip(".")) and not (i and t in _INNER_SMALL)
                              for i, t in enumerate(tokens)):
        return False
    if all(_CAPS_TOKEN.fullmatch(t) for t in tokens):
        return False
    return not is_place(" ".join(tokens))


def _non_name_word(word: str) -> bool:
    """Tell whether a capitalised word cannot be part of a person's name (an organisation word, a position)."""
    return word.lower() in NONNAME or ("-" in word and _is_title_word(word))


def _drop_leading_acronym(sentence: str, start: int, end: int) -> tuple[int, int]:
    """Drop an organisation acronym glued to a name ("Vice chairman of BFA Zhou Xiaochuan")."""
    words = sentence[start:end].split()
    if len(words) >= 3 and _CAPS_WORD.fullmatch(words[0]) and not _CAPS_WORD.fullmatch(words[-1]):
        if re.search(r"\b(?:of|at|from)\s+$", sentence[:start]) or _is_title_word(sentence[:start].split()[-1] if sentence[:start].split() else ""):
            return start + len(words[0]) + 1, end
    return start, end


def _name_candidates(sentence: str) -> list[tuple[int, int]]:
    """Return spans of capitalised runs that could be names, split at non-name words."""
    spans: list[tuple[int, int]] = []
    for m in _CAPITAL_RUN.finditer(sentence):
        words = list(re.finditer(r"\S+", m.group(0)))
        run: list[re.Match[str]] = []
        for w in words + [None]:
            word = w.group(0).rstrip(".") if w is not None else ""
            inner_small = bool(run) and word in _INNER_SMALL
            if w is not None and (len(word) == 1 or inner_small or not _non_name_word(word)):
                run.append(w)
                continue
            while run and _PARTICLE_RE.fullmatch(run[0].group(0)):
                run.pop(0)
            while run and _PARTICLE_RE.fullmatch(run[-1].group(0)):
                run.pop()
            run = _without_leading_place(m.group(0), run)
            if len(run) >= 2 and _tokens_ok([x.group(0) for x in run]):
                spans.append((m.start() + run[0].start(), m.start() + run[-1].end()))
            run = []
    return [_drop_leading_acronym(sentence, *_trim_span(sentence, s, e)) for s, e in spans]


def _without_leading_place(run_text: str, run: list[re.Match[str]]) -> list[re.Match[str]]:
    """Drop a place written before a name ("Los Angeles Liang Lingguang", "Osaka Mayor ..." -> the name alone)."""
    if len(run) < 3:
        return run
    text = run_text[run[0].start():run[-1].end()]
    hit = leading_place(text)
    country = next((c for c in place_index().countries if text.startswith(c + " ")), None)
    if hit is None and country is None:
        return run
    end = run[0].start() + (hit.end if hit is not None else len(country))
    rest = [w for w in run if w.start() >= end]
    return rest if len(rest) >= 2 else run


def _trim_span(sentence: str, start: int, end: int) -> tuple[int, int]:
    """Drop trailing honours (CMG, OBE, JP) and a trailing possessive from a name span."""
    text = sentence[start:end]
    m = HONOURS.search(text)
    if m:
        end = start + m.start()
    if sentence[start:end].endswith(("’s", "'s")):
        end -= 2
    return start, end


_SMALL = {"the", "a", "an", "in", "on", "by", "and", "of", "for", "at", "with", "from", "as", "his", "her", "during",
          "after", "while", "&", "its", "their"}
_RUN_BEFORE = re.compile(r"((?:(?:[A-Z][\w&’'.-]*|[a-z][A-Z][\w’'-]*|of|for|and|&|the|on|to)\s+)+)$")
_TITLE_ALT = "|".join(sorted((re.escape(w) for w in TITLE_WORDS), key=len, reverse=True))
_APP_CUT = re.compile(
    rf";|\.\s|\.$|,\s+and\s+|\s+and\s+(?={HONORIFIC}\s)|,\s+(?=[a-z])|\s+(?=[a-z]+ing\b)|"
    r"\s+(?=(?:presided|delivered|said|says|gave|spoke|moderated|chaired|were|was|led|kicked|opened|expressed|noted|commenced|"
    r"explored|began|shared|welcomed|addressed|highlighted|emphasi[sz]ed|also|[a-z]+ed)\b)"
)
_AND_TITLE = re.compile(rf"\s+and\s+(?=(?:[Ff]ormer\s+|[A-Z][\w’'-]*\s+)*?(?:{_TITLE_ALT})\b)", re.I)
_TITLE_OF_ORG = re.compile(rf"^(.*?\b(?:{_TITLE_ALT})\b.*?)\s+(?:of|at)\s+(.+)$", re.I)
_PLACE_POSSESSIVE = re.compile(r"^([A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,2})[’']s\s+((?:[a-z][\w-]*\s+){0,2}[a-z][\w-]*)$")
_LEAD_POSSESSIVE = re.compile(r"^(?:the|its|his|her|a|an)\s+(?:[\w-]+[’']s\s+)?", re.I)


def _is_title_word(word: str, head: bool = False) -> bool:
    """Tell whether a word is a position word (head=True: one that can end a title, like Chairman).

    A hyphenated word is one when its parts are (Vice-Mayor, Deputy-Governor) and its last part is a head.
    """
    w = word.lower().rstrip(".,").replace("’s", "").replace("'s", "")
    words = HEAD_TITLES if head else TITLE_WORDS
    if w in words:
        return True
    parts = [x for x in w.split("-") if x]
    return len(parts) > 1 and parts[-1] in words and all(x in TITLE_WORDS for x in parts)


def title_before(pre: str) -> tuple[str, str | None] | None:
    """Parse a title phrase written right before a name ("HKSAR Financial Secretary"): (title, affiliation)."""
    m = _RUN_BEFORE.search(pre[-200:])
    if not m:
        return None
    words = m.group(1).split()
    while words and words[0].lower() in _SMALL:
        words.pop(0)
    heads = [i for i, w in enumerate(words) if _is_title_word(w, head=True)]
    if not heads:
        return None
    j = heads[-1]
    i = _title_start(words, j)
    tail = words[j + 1:]
    if tail and tail[0] in ("of", "at"):
        org = _strip_the(tail[1:])
        if not org or not (any(_looks_like_org(w) for w in org) or is_place(" ".join(org))) or org[-1].lower() in _SMALL:
            return None
        title, aff = " ".join(words[i:j + 1]), " ".join(org)
    elif tail and tail[0] == "to" and len(tail) > 1 and tail[-1][:1].isupper():  # Ambassador to the Philippines
        title, aff = " ".join(words[i:]), _after_last_and(words[:i])
    elif tail and tail[0] not in ("for",):
        return None
    else:
        title, aff = " ".join(words[i:]), _after_last_and(words[:i])
    return _tidy_title(title, aff)


_LOWER_TITLE = re.compile(r"((?:\b[a-z][a-z-]+\s+){0,2}?)\b([a-z][a-z-]+(?: of staff)?)\s+$")
_LOWER_TITLE_STOP = {"and", "the", "by", "with", "were", "was", "is", "are", "of", "to", "in", "at", "for", "from", "as",
                     "on", "a", "an", "who", "which", "said", "says", "led", "other", "also", "all", "both", "his",
                     "her", "their", "its", "then", "late", "former", "two", "three", "four", "five", "six", "seven",
                     "eight", "nine", "ten", "several", "some", "many", "few", "two-person"}
_CAP_RUN_BEFORE = re.compile(r"((?:(?:[A-Z][\w&’'.-]*|\([A-Z][\w&’'.-]*\)|of|for|and|&|the|de|del)\s+)+)$")


def lower_title_before(pre: str) -> tuple[str, str | None] | None:
    """Parse a title in lower case right before a name ("Shanghai mayor Ying Yong", "liaison officer Owen So").

    The capitalised words before it are its organisation or place ("Universidad de Manila president"); a
    person's possessive ("Lacuna’s chief of staff") names none.
    """
    m = _LOWER_TITLE.search(pre[-120:])
    if not m:
        return None
    head = m.group(2)
    if not _is_title_word(head.split()[0], head=True) or head.split()[0] in PLURAL_TITLES or head == "chief of":
        return None
    mods = [w for w in m.group(1).split()]
    while mods and mods[0] in _LOWER_TITLE_STOP:
        mods.pop(0)
    if any(w in _LOWER_TITLE_STOP for w in mods):
        return None
    title = " ".join(mods + [head])
    return title, _organisation_before(pre[: len(pre[-120:]) and len(pre) - len(pre[-120:]) + m.start()])


def _organisation_before(pre: str) -> str | None:
    """Return the organisation or place written right before a title, or None ("Manila Sports Council (MASCO)")."""
    m = _CAP_RUN_BEFORE.search(pre)
    if not m:
        return None
    words = m.group(1).split()
    while words and words[0].lower() in _SMALL:
        words.pop(0)
    words = _after_last_and(words).split()
    org = re.sub(r"[’']s$", "", " ".join(words)).strip()
    if not org or org.lower() in _SMALL:
        return None
    if is_place(org) or any(_looks_like_org(w.strip("()")) for w in words) or (len(words) > 1 and not _is_title_word(words[-1])):
        return org
    return None


_PLURAL_BEFORE = re.compile(r"((?:[A-Z][\w’'.-]*\s+){0,4})([A-Za-z]+)\s*[,:]?\s*$")


def plural_title_before(pre: str) -> tuple[str, str | None] | None:
    """Parse a plural position heading a list of names ("councilors A, B and C", "three Osaka City Councilors, A")."""
    m = _PLURAL_BEFORE.search(pre[-120:])
    if not m or m.group(2).lower() not in PLURAL_TITLES:
        return None
    singular = PLURAL_TITLES[m.group(2).lower()]
    title = singular.capitalize() if m.group(2)[0].isupper() else singular
    org = m.group(1).strip() or None
    return title, org if org and (is_place(org) or any(_looks_like_org(w) for w in org.split())) else None


def _title_start(words: list[str], j: int) -> int:
    """Walk left from a head title word over modifiers and "&"/"and" joins (President & CEO)."""
    i = j
    while i > 0:
        if _is_title_word(words[i - 1]):
            i -= 1
        elif words[i - 1] in ("&", "and") and i > 1 and _is_title_word(words[i - 2], head=True):
            i -= 2
        else:
            break
    return i


ORG_WORDS = {w.lower() for w in """University Institute Institution Center Centre Foundation Council Committee Association
    Conference Forum Bureau Region Government
    Chamber Department Ministry Office Academy School Program Programme Bank Group Company Limited Ltd
    Holdings Corporation Commission Party Congress Society Federation Union Alliance Agency Authority Board Trust Fund Club
    House College Faculty Network Organization Organisation Secretariat Court Assembly Parliament Cabinet
    Universidade Instituto Associação Fundação Centro Sociedade Escola Banco Conselho Comissão Governo Assembleia""".split()}


def _looks_like_org(word: str) -> bool:
    """Tell whether a word can end an organisation's name (Institute, House, an acronym)."""
    word = word.strip(",.;:’'")
    return word.lower() in ORG_WORDS or bool(_ACRONYM.fullmatch(word))


def _after_last_and(words: list[str]) -> str:
    """Return the words after the last lowercase "and" (the previous person's words come before it)."""
    for k in range(len(words) - 1, -1, -1):
        if words[k] == "and":
            return " ".join(words[k + 1:])
    return " ".join(words)


def _strip_the(words: list[str]) -> list[str]:
    """Drop a leading lowercase "the"."""
    return words[1:] if words and words[0] == "the" else words


def _tidy_title(title: str, aff: str | None) -> tuple[str, str | None]:
    """Expand abbreviations, drop possessives and fold a one-word non-organisation prefix into the title."""
    title = ABBREVIATED_TITLES.get(title, title)
    aff = re.sub(r"[’']s$", "", (aff or "").strip()) or None
    if aff and " " not in aff and not _ACRONYM.fullmatch(aff) and not is_place(aff):
        title, aff = f"{aff} {title}", None
    return title, aff


def apposition(post: str) -> tuple[str, str | None] | None:
    """Parse ", Title of Organisation" written right after a name: (title, affiliation)."""
    m = re.match(r"^\s*(?:\([^)]*\))?\s*,\s*", post)
    if not m:
        m = re.match(r"^\s+(?=[A-Z][\w-]*\s)", post)  # "Mr. Zhou Wenzhong Secretary-General of the Forum"
        if not m or not _is_title_word(post.split()[0]):
            return None
    rest = LEADING_HONOURS.sub("", post[m.end():])
    if re.match(r"(?:and|or|who|which|where|when|other|others|another|some|many|several)\b", rest):
        return None
    cut = _APP_CUT.search(rest)
    return parse_position(rest[: cut.start()] if cut else rest)


def parse_position(text: str) -> tuple[str, str | None] | None:
    """Split "Deputy Director of the X and Secretary of Y, Z" into (first title, its organisation)."""
    segs = [x.strip() for x in re.split(r",(?![^()]*\))", text) if x.strip()]
    if not segs:
        return None
    place_of = _PLACE_POSSESSIVE.match(segs[0])
    if place_of and is_place(place_of.group(1)) and _is_title_word(place_of.group(2).split()[-1], head=True):
        return place_of.group(2), place_of.group(1)  # "Shanghai's vice mayor": the place's position
    first = _LEAD_POSSESSIVE.sub("", segs[0])
    if not any(_is_title_word(w) for w in first.split()[:6]):
        return None
    split = _TITLE_OF_ORG.match(first)
    if split:
        title, aff = split.group(1), split.group(2)
        body = INTERNAL_BODY.match(aff)
        if body:
            title, aff = f"{title} of the {body.group(1)}", aff[body.end():]
        aff = _AND_TITLE.split(aff)[0]
        aff = re.sub(r"^the\s+", "", aff)
        aff = _first_listed_org(aff)
        title, aff = _unit_in_title(title, aff)
        aff = _with_parent_org(aff, segs[1:])
    else:
        title = first
        aff = _comma_affiliation(segs[1:])
    title = _without_place_end(title)
    return title, (aff.strip() if aff else None)


def _without_place_end(title: str) -> str:
    """Drop a trailing " in <place>" from a title ("Consul General of Japan in Chicago" keeps its organisation)."""
    m = re.search(r"\s+in\s+([A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){0,3})$", title)
    return title[: m.start()].strip() if m and is_place(m.group(1)) else title.strip()


def _is_org_segment(seg: str) -> bool:
    """Tell whether a comma segment is an organisation name (CUHK, HKSAR Government), not a place or a position."""
    words = seg.split()
    if not words or len(words) > 8 or _is_title_word(words[0]) or is_place(seg):
        return False
    if not all(re.match(r"[A-Z(&]", w) or w in ("of", "for", "and", "the", "on", "in") for w in words):
        return False
    return _looks_like_org(words[-1])


_UNIT_AT = re.compile(r"^((?:School|Faculty|Department|College|Division|Graduate School) of [^,]+?)\s+at\s+(?:the\s+)?([A-Z].+)$")


def _unit_in_title(title: str, aff: str) -> tuple[str, str]:
    """Read "Dean of School of Law at X University" as title "Dean of School of Law", organisation X University."""
    m = _UNIT_AT.match(aff)
    if not m or " at " in m.group(1):
        return title, aff
    return f"{title} of {m.group(1)}", m.group(2)


def _first_listed_org(aff: str) -> str:
    """Keep the first of two organisations joined by "and the" ("chairman of the X Chamber and the Y Alliance")."""
    parts = re.split(r"\s+and\s+the\s+(?=[A-Z])", aff, maxsplit=1)
    if len(parts) == 2 and any(_looks_like_org(w) for w in parts[0].split()) and any(_looks_like_org(w) for w in parts[1].split()):
        return parts[0]
    return aff


def _with_parent_org(aff: str, segs: list[str]) -> str:
    """Append the parent organisations written after the affiliation ("Department of Economics, CUHK")."""
    kept = [aff]
    for seg in segs:
        if not _is_org_segment(seg):
            break
        kept.append(seg)
    return ", ".join(kept)


def _comma_affiliation(segs: list[str]) -> str | None:
    """Join "Office of Hong Kong, Macao and Taiwan Affairs, Ministry of Education" back into one organisation.

    Segments after the title are kept while each starts with a capital and is not a further position.
    """
    kept: list[str] = []
    for seg in segs:
        if not re.match(r"[A-Z]", seg) or _is_title_word(seg.split()[0]) or len(" ".join(kept + [seg]).split()) > 20:
            break
        kept.append(seg)
    return ", ".join(kept) or None


_CLAUSE_START = re.compile(r"^|[.;:]\s*|\b(?:and|including|includes|included|by|with|met|meets)\s+")
_CLAUSE_BODY = re.compile(rf"(?:(?:The|the)\s+)?([A-Za-z][^,;]+?),\s*(?:{HONORIFIC}\s*)?$")


def _title_clause_before(pre: str) -> tuple[str, str | None] | None:
    """Parse "The Director of the Singapore ETO, Mr Owin Fung": the title clause before a comma and the name.

    The clause nearest the name is tried first ("X met the mayor of Beijing, Wang Anshun" -> mayor of Beijing);
    a clause may start in lower case when it starts with a position word.
    """
    pre = pre[-250:]
    starts = sorted({m.end() for m in _CLAUSE_START.finditer(pre)}, reverse=True)
    for start in starts:
        m = _CLAUSE_BODY.match(pre, start)
        if not m or (m.group(1)[0].islower() and not _is_title_word(m.group(1).split()[0])):
            continue
        parsed = _parsed_title_clause(m.group(1))
        if parsed:
            return parsed
    return None


def _parsed_title_clause(clause: str) -> tuple[str, str | None] | None:
    """Return (title, organisation) of a clause made of a position, or an organisation then a position."""
    parsed = parse_position(clause)
    head = parsed[0].split(" for ")[0] if parsed else ""
    if parsed and all(_is_title_word(w) or w.islower() or w == "&" for w in head.split()):
        return parsed
    return _org_then_title(clause)


_QUALIFIER = re.compile(r"^\([^()]{1,30}\)$")


def _title_part(word: str) -> bool:
    """Tell whether a word belongs to a position ("Deputy", "founder-director", "(Policy)")."""
    return _is_title_word(word) or bool(_QUALIFIER.match(word)) or any(_is_title_word(p) for p in word.split("-") if p)


def _org_then_title(clause: str) -> tuple[str, str | None] | None:
    """Parse "RSIS Dean" / "MINDEF Deputy Secretary (Policy)": an organisation written before the position."""
    words = clause.split()
    k = len(words)
    while k > 0 and _title_part(words[k - 1]):
        k -= 1
    org, title = words[:k], words[k:]
    if not org or not title or len(org) > 6 or not any(_is_title_word(w.split("-")[-1], head=True) or _is_title_word(w, head=True) for w in title):
        return None
    if not _looks_like_org(org[-1]) or is_place(" ".join(org)):
        return None
    return " ".join(title), " ".join(org)


_OBJECT_BEFORE = re.compile(r"\b(?:in|of|at|from|for|the|to|on|by|into|across|within|near)\s+$", re.I)


def _accept_chains(sentence: str, spans: list[tuple[int, int]], known: set[str]) -> list[tuple[int, int]]:
    """Return the accepted name spans; a bare name joined by commas/"and" to an accepted one is accepted too.

    ("a conversation among David Sanger, Kurt Campbell and Mike Green" once one of them is known or titled.)
    """
    ok = [_accepted(sentence, s, e, known) for s, e in spans]
    joined = [k > 0 and bool(_CHAIN_GAP.match(sentence[spans[k - 1][1]:spans[k][0]])) for k in range(len(spans))]
    changed = True
    while changed:
        changed = False
        for k in range(len(spans)):
            pre = sentence[max(0, spans[k][0] - 300):spans[k][0]]
            post = sentence[spans[k][1]:spans[k][1] + 400]
            if ok[k] or _excluded(pre, post) or _OBJECT_BEFORE.search(pre) or re.match(r"\s+[A-Z][a-z]", post):
                continue
            half = _ORG_HALF_AFTER.match(post)
            if half and any(_is_title_word(w, head=True) for w in half.group(1).split()):
                continue  # "Corvallis Park and Recreation Director X": the first half of an organisation
            if (joined[k] and ok[k - 1]) or (k + 1 < len(spans) and joined[k + 1] and ok[k + 1]):
                ok[k] = changed = True
    return [span for span, good in zip(spans, ok) if good]


_ORG_HALF_AFTER = re.compile(r"^\s+and\s+((?:[A-Z][\w-]*\s+){1,4})[A-Z]")


def find_mentions(sentence: str, known: set[str]) -> list[EnMention]:
    """Find the people named in one sentence, with the title and affiliation written next to them."""
    accepted = _accept_chains(sentence, _name_candidates(sentence), known)
    mentions: list[EnMention] = []
    for k, (start, end) in enumerate(accepted):
        limit = accepted[k + 1][0] if k + 1 < len(accepted) else len(sentence)
        pre, post = sentence[max(0, start - 300):start], sentence[end:limit]
        hon = HONORIFIC_RE.search(pre)
        pos_pre = pre[: hon.start()] if hon else pre
        before = title_before(pos_pre) or _title_clause_before(pos_pre) or lower_title_before(pos_pre)
        title, aff = before or apposition(_cut_before_next(post)) or plural_title_before(pos_pre) or (None, None)
        aff = aff or _of_org(post) or _from_org(post) or _delegation_org(pos_pre)
        mentions.append(EnMention(sentence[start:end], start, end, title, aff))
    _share_group_affiliation(sentence, mentions)
    _share_plural_title(sentence, mentions)
    return mentions


def _share_plural_title(sentence: str, mentions: list[EnMention]) -> None:
    """Give every name of "councilors A, B and C" the position the plural word names."""
    k = 0
    while k < len(mentions):
        j = k
        while j + 1 < len(mentions) and _CHAIN_GAP.match(sentence[mentions[j].end:mentions[j + 1].start]):
            j += 1
        plural = plural_title_before(sentence[max(0, mentions[k].start - 120):mentions[k].start])
        if plural and j > k:
            for m in mentions[k + 1:j + 1]:
                if m.title is None:
                    m.title, m.affiliation = plural[0], m.affiliation or plural[1]
        k = j + 1


_CHAIN_GAP = re.compile(rf"^\s*(?:,\s*(?:and\s+)?|and\s+)(?:{HONORIFIC}\s*)?$")


def _share_group_affiliation(sentence: str, mentions: list[EnMention]) -> None:
    """Give "A, B and C from the X" the organisation X for every name of the run that has none."""
    k = 0
    while k < len(mentions):
        j = k
        while j + 1 < len(mentions) and _CHAIN_GAP.match(sentence[mentions[j].end:mentions[j + 1].start]):
            j += 1
        last = mentions[j]
        org = last.affiliation if j > k and last.title is None else None
        if org and _from_org(sentence[last.end:]) == org:
            for m in mentions[k:j]:
                if m.affiliation is None and m.title is None:
                    m.affiliation = org
        k = j + 1


_DELEGATION = re.compile(r"\bdelegation (?:from|of) (?:the )?([A-Z][^;.]*?),?\s+(?:led|headed) by\s+(?:[A-Z][\w-]*\s+){0,3}$")


def _delegation_org(pre: str) -> str | None:
    """Return X in "a delegation from X, led by President Y" for the leader Y."""
    m = _DELEGATION.search(pre[-250:])
    return m.group(1).strip() if m else None


_FROM_ORG = re.compile(r"^\s+from\s+(?:the\s+)?([A-Z][^,;.()]*?)(?=\s*\(|,|;|\.|\s+(?:and|who|respectively|also)\b|$)")


def _from_org(post: str) -> str | None:
    """Return the organisation in "Mr X from TabadLab" (any capitalised name that is not a place)."""
    m = _FROM_ORG.match(post)
    if not m or is_place(m.group(1).strip()) or len(m.group(1).split()) > 10:
        return None
    return m.group(1).strip()


_OF_ORG = re.compile(
    r"^\s+(?:of|from)\s+(?:the\s+)?([A-Z][^,;.()]*?)"
    r"(?=,|;|\.|\s+(?:and|who|respectively|also|jointly|each|[a-z]+ed)\b|\s+(?!(?:of|for|the|and|on|in|de|da|do|dos|das)\b)[a-z]|$)"
)


def _of_org(post: str) -> str | None:
    """Return the organisation in "Professor X of the Y Institute" when it looks like one."""
    m = _OF_ORG.match(post)
    if m and (any(_looks_like_org(w) for w in m.group(1).split()) or is_place(m.group(1).strip())):
        return m.group(1).strip()
    return None


_NEXT_NAME_TAIL = re.compile(rf"(?:,?\s+and|,)?\s*(?:{HONORIFIC})?\s*$")


def _cut_before_next(post: str) -> str:
    """Cut text that runs into the next person's name (drop a trailing "and"/honorific)."""
    return _NEXT_NAME_TAIL.sub("", post)


def _accepted(sentence: str, start: int, end: int, known: set[str]) -> bool:
    """Tell whether a capitalised run is a person: an honorific, a title or a speech verb next to it."""
    pre, post = sentence[max(0, start - 300):start], sentence[end:end + 400]
    name = sentence[start:end]
    hon = HONORIFIC_RE.search(pre)
    if _excluded(pre, post):
        return False
    if re.match(r"\s+[A-Z][a-z]", post) and not (hon and _is_title_word(post.split()[0], head=False)):
        return False
    pos_pre = pre[: hon.start()] if hon else pre
    return bool(
        hon or name in known or SPEECH_VERBS.match(post) or apposition(post) or BY_CUE.search(pre)
        or title_before(pos_pre) or _title_clause_before(pos_pre) or lower_title_before(pos_pre)
        or plural_title_before(pos_pre)
    )


def _excluded(pre: str, post: str) -> bool:
    """Tell whether the name is historical ("the-then", "years ago") or a byline."""
    clause = re.split(r"[;.]", pre[-300:])[-1]
    return bool(HISTORICAL_BEFORE.search(clause[-80:]) or HISTORICAL_AFTER.match(post) or BYLINE.search(pre[-30:]))


def people_in_sentence(sentence: str, known: set[str]) -> list[tuple[EnMention, str | None]]:
    """Return each person in a sentence with the role its cues give (None when there is no cue).

    People already named in the report are also found by surname after a title ("Mayor Tanaka", "Prof. Li")
    or before a speech verb ("Kaunda said").
    """
    mentions = find_mentions(sentence, known)
    mentions = sorted(mentions + _surname_mentions(sentence, known, mentions), key=lambda m: m.start)
    if not mentions:
        return []
    roles = assign_roles(sentence, [(m.start, m.end) for m in mentions], "en")
    return list(zip(mentions, roles))


_SURNAME_BEFORE = re.compile(rf"(?:\b{HONORIFIC}|\b[A-Z][a-z]+(?:-[A-Z][a-z]+)?)\s+$")


def _surname_mentions(sentence: str, known: set[str], found: list[EnMention]) -> list[EnMention]:
    """Return later mentions of known people by one name: "Mayor Tanaka", "Chairperson Mori", "Kaunda said"."""
    by_part: dict[str, set[str]] = {}
    for name in known:
        parts = [p for p in re.split(r"\s+", name) if len(p) > 1 and not p.endswith(".")]
        if len(parts) >= 2:
            for part in {parts[0], parts[-1]}:
                by_part.setdefault(part.lower(), set()).add(name)
    out: list[EnMention] = []
    for m in re.finditer(rf"\b[{UP}][{UP}{LO}’'-]+\b", sentence):
        owners = by_part.get(m.group(0).lower())
        if not owners or len(owners) != 1 or any(f.start <= m.start() < f.end for f in found):
            continue
        pre, post = sentence[max(0, m.start() - 40):m.start()], sentence[m.end():m.end() + 60]
        if re.match(rf"\s+[{UP}]", post) or re.search(rf"[{UP}][{LO}]+\s+$", pre) and not _title_or_honorific_before(pre):
            continue  # part of a longer capitalised name
        if _title_or_honorific_before(pre) or SPEECH_VERBS.match(post):
            out.append(EnMention(next(iter(owners)), m.start(), m.end(), None, None))
    return out


def _title_or_honorific_before(pre: str) -> bool:
    """Tell whether a title word or an honorific is written right before a name."""
    if HONORIFIC_RE.search(pre):
        return True
    words = pre.split()
    return bool(words) and _is_title_word(words[-1])
