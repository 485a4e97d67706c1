"""Topic vocabulary: a small, documented list of topics with English and Chinese keywords.

A topic is assigned when its keywords occur at least twice in the text, or once in the title, name or theme.
Keywords are matched case-insensitively (English, whole words) and on the simplified-script text (Chinese).

| topic | what it covers |
| --- | --- |
| trade | trade, commerce, exports/imports, 经贸, 贸易 |
| finance | finance, banking, capital markets, 金融, 资本市场 |
| supply_chains | supply chains, logistics, commodities, 供应链, 物流 |
| shipping | shipping, ports, aviation, 航运, 港口, 航空 |
| talent | talent, human capital, education of professionals, 人才 |
| technology | technology, innovation, AI, 科技, 创新 |
| going_global | companies expanding abroad, 走出去, 出海, 国际化 |
| belt_and_road | Belt and Road Initiative, 一带一路 |
| regional_integration | integration, Greater Bay Area, YRD, 一体化, 大湾区, 融合发展 |
| culture_education | culture, universities, exchanges of people, 文化, 教育, 高校 |
| youth | youth, young people, 青年 |
| governance_law | rule of law, governance, "one country, two systems", 法治, 一国两制, 治理 |
| urban_development | cities, urban planning, metropolis, 城市发展, 都市 |
| green_development | climate, green, sustainability, 绿色, 低碳, 可持续 |
| health | health, medicine, 医疗, 健康 |
"""

from __future__ import annotations

import re

from .textutil import to_simplified

TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "trade": (("trade", "trading", "commerce", "exports", "imports", "free trade"), ("贸易", "经贸", "商贸", "进出口")),
    "finance": (("finance", "financial", "banking", "capital market", "investment", "investors"), ("金融", "资本市场", "投资", "银行")),
    "supply_chains": (("supply chain", "supply chains", "logistics", "commodity", "commodities"), ("供应链", "物流", "大宗商品", "产业链")),
    "shipping": (("shipping", "maritime", "port", "ports", "aviation", "airport"), ("航运", "港口", "航空", "海运", "机场")),
    "talent": (("talent", "talents", "human capital", "professionals"), ("人才",)),
    "technology": (("technology", "technological", "innovation", "artificial intelligence", "AI", "digital"), ("科技", "创新", "人工智能", "数字")),
    "going_global": (("going global", "go global", "overseas expansion", "expanding overseas", "expand abroad", "international expansion"), ("走出去", "出海", "国际化", "出境")),
    "belt_and_road": (("belt and road", "belt & road"), ("一带一路",)),
    "regional_integration": (("integration", "greater bay area", "yangtze river delta", "regional cooperation"), ("一体化", "大湾区", "融合发展", "区域合作", "长三角")),
    "culture_education": (("culture", "cultural", "university", "universities", "education", "academic"), ("文化", "教育", "高校", "大学", "学术")),
    "youth": (("youth", "young people", "students"), ("青年", "年轻人", "学生")),
    "governance_law": (("rule of law", "governance", "one country, two systems", "legal"), ("法治", "一国两制", "治理", "法律")),
    "urban_development": (("urban", "metropolis", "city development", "smart city"), ("城市发展", "都市", "城市治理", "城市建设")),
    "green_development": (("climate", "green", "sustainable", "sustainability", "carbon", "clean energy"), ("绿色", "低碳", "可持续", "碳中和", "新能源")),
    "health": (("health", "healthcare", "medical", "medicine"), ("医疗", "健康", "卫生", "医药")),
}


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """Compile one whole-word, case-insensitive pattern for a topic's English keywords ("AI" stays upper case)."""
    alts = "|".join(re.escape(w) if w != "AI" else "(?-i:AI)" for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z])(?:{alts})(?![A-Za-z])", re.I)


_PATTERNS = {topic: _pattern(words) for topic, (words, _) in TOPICS.items()}


def _count(text: str, simp: str, topic: str) -> int:
    """Count a topic's keyword occurrences (English whole words, Chinese substrings)."""
    return len(_PATTERNS[topic].findall(text)) + sum(simp.count(w) for w in TOPICS[topic][1])


def assign_topics(text: str, simp: str, focus: str) -> tuple[list[str], dict[str, str]]:
    """Return topics (vocabulary order) and, per topic, the keyword that triggered it."""
    focus_simp = to_simplified(focus)
    out: list[str] = []
    why: dict[str, str] = {}
    for topic, (words, zh_words) in TOPICS.items():
        if _count(focus, focus_simp, topic) or _count(text, simp, topic) >= 2:
            out.append(topic)
            hit = _PATTERNS[topic].search(text)
            why[topic] = hit.group(0) if hit else next((w for w in zh_words if w in simp), topic)
    return out, why
