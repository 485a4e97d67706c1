"""Build the static demo sites under demo/sites/ from the invented content in demo/content/*.yaml.

Run ``.venv/bin/python demo/build_sites.py`` after editing content; it rewrites demo/sites/ and
demo/README.md. Output is deterministic (no timestamps), so a test can check it is up to date.
Feeds, sitemaps, robots.txt and canonical links carry the placeholder ``{{ORIGIN}}`` that
``coopwatch.demo.DemoSites`` replaces with the serving origin.
"""

from __future__ import annotations

import html
import json
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable

import yaml

DEMO_DIR = Path(__file__).resolve().parent
ORIGIN = "{{ORIGIN}}"
HIDDEN_KINDS = {"private", "missing"}
MONTHS = "January February March April May June July August September October November December".split()


@dataclass
class Item:
    """One listing entry / article page of a demo site."""

    path: str
    title: str
    published: str
    kind: str
    summary: str
    language: str
    body: str = ""
    encoding: str = "utf-8"
    category: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    gallery: list[str] = field(default_factory=list)

    @property
    def paragraphs(self) -> list[str]:
        return [" ".join(p.split("\n")).strip() for p in self.body.strip().split("\n\n") if p.strip()]

    @property
    def public(self) -> bool:
        return self.kind not in HIDDEN_KINDS


@dataclass
class Site:
    """A demo site's settings plus its items, newest first."""

    name: str
    config: dict[str, Any]
    items: list[Item]

    @property
    def public_items(self) -> list[Item]:
        return [i for i in self.items if i.public]

    def items_in(self, language: str) -> list[Item]:
        return [i for i in self.items if i.language == language]

    def public_in(self, language: str) -> list[Item]:
        return [i for i in self.items_in(language) if i.public]


def load_site(path: Path) -> Site:
    """Read one content file into a Site, items sorted newest first."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    config = data["site"]
    items = [_item(raw, config["language"]) for raw in data["articles"]]
    items.sort(key=lambda i: i.published, reverse=True)
    return Site(config["name"], config, items)


def _item(raw: dict[str, Any], default_language: str) -> Item:
    raw = dict(raw)
    raw["published"] = str(raw["published"])
    raw.setdefault("language", default_language)
    facts = raw.get("facts") or {}
    if "event_date" in facts:
        facts["event_date"] = str(facts["event_date"])
    return Item(**raw)


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def english_date(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def chinese_date(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.year}年{d.month}月{d.day}日"


def file_for(url_path: str) -> str:
    """Map a root-relative URL path to the file that serves it."""
    rel = url_path.lstrip("/")
    return rel + "index.html" if rel == "" or rel.endswith("/") else rel


def paginate(items: list[Item], size: int) -> list[list[Item]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def neighbours(urls: list[str], number: int) -> tuple[str | None, str | None]:
    """Return the URLs of the listing pages before and after page ``number`` (None at either end)."""
    return (urls[number - 1] if number > 0 else None), (urls[number + 1] if number + 1 < len(urls) else None)


# ---------------------------------------------------------------- harbour (English, Hong Kong)


def harbour_page(site: Site, title: str, main: str, canonical: str, head: str = "") -> str:
    """Wrap main content in the Harbour Institute's page chrome."""
    name = site.config["title"]
    latest = "".join(f'<li><a href="{i.path}">{esc(i.title)}</a></li>' for i in site.public_items[:5])
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} | {esc(name)}</title>
<link rel="canonical" href="{ORIGIN}{canonical}">
<link rel="alternate" type="application/rss+xml" title="HIUS News" href="/feed.xml">
<link rel="stylesheet" href="/assets/site.css">
{head}</head>
<body>
<div class="cookie-notice">This website uses cookies to remember your preferences. <a href="/about.html#privacy">Privacy notice</a> <button type="button">Accept</button></div>
<header class="masthead">
  <a class="logo" href="/"><img src="/assets/logo.svg" alt="HIUS" width="48" height="48"> {esc(name)}</a>
  <nav class="primary"><ul>
    <li><a href="/">Home</a></li><li><a href="/news/">News &amp; Events</a></li>
    <li><a href="/about.html">About Us</a></li><li><a href="/feed.xml">RSS</a></li>
  </ul></nav>
  <form class="site-search" action="/search" method="get"><input name="q" placeholder="Search"><button>Go</button></form>
</header>
<div class="wrap">
<main id="content">
{main}
</main>
<aside class="sidebar">
  <section><h3>Latest News</h3><ul>{latest}</ul></section>
  <section><h3>Subscribe</h3><p>Get our monthly newsletter with research highlights and event invitations.</p><p><a href="mailto:newsletter@hius.invalid">Sign up by email</a></p></section>
  <section><h3>Visit Us</h3><p>18/F Harbour Commerce Tower, Wan Chai, Hong Kong</p></section>
</aside>
</div>
<footer class="site-footer">
  <p><a href="/about.html">About</a> | <a href="/about.html#privacy">Privacy</a> | <a href="/about.html#contact">Contact</a> | <a href="/sitemap.xml">Sitemap</a></p>
  <p>&copy; 2026 {esc(name)}. All rights reserved. Tel: +852 0000 0000</p>
</footer>
</body>
</html>
"""


def harbour_article(site: Site, item: Item) -> str:
    meta = (
        f'<meta name="description" content="{esc(item.summary)}">\n'
        f'<meta property="og:title" content="{esc(item.title)}">\n'
        f'<meta property="article:published_time" content="{item.published}">\n'
    )
    paras = "\n".join(f"<p>{esc(p)}</p>" for p in item.paragraphs)
    main = f"""<div class="breadcrumb"><a href="/">Home</a> &rsaquo; <a href="/news/">News &amp; Events</a> &rsaquo; {esc(item.title)}</div>
<article class="post">
<h1>{esc(item.title)}</h1>
<p class="post-meta">Published: {english_date(item.published)} &middot; News &amp; Events</p>
<div class="entry-content">
{paras}
</div>
<div class="share">Share this: <a href="mailto:?subject={esc(item.title)}">Email</a> | <a href="javascript:window.print()">Print</a></div>
</article>"""
    return harbour_page(site, item.title, main, item.path, meta)


def harbour_listing(site: Site, page: list[Item], number: int, urls: list[str]) -> str:
    rows = "\n".join(
        f'<li class="news-item"><span class="date">{english_date(i.published)}</span> '
        f'<a href="{i.path}">{esc(i.title)}</a><p>{esc(i.summary)}</p></li>'
        for i in page
    )
    prev, next_ = neighbours(urls, number)
    nav = []
    if prev:
        nav.append(f'<a class="prev" href="{prev}">&laquo; Previous</a>')
    nav.append(f'<span class="current">Page {number + 1} of {len(urls)}</span>')
    if next_:
        nav.append(f'<a class="next" href="{next_}">Next &raquo;</a>')
    main = f"""<h1>News &amp; Events</h1>
<ul class="news-list">
{rows}
</ul>
<div class="pagination">{' '.join(nav)}</div>"""
    return harbour_page(site, "News & Events", main, urls[number])


def harbour_home(site: Site) -> str:
    rows = "".join(f'<li><a href="{i.path}">{esc(i.title)}</a> <span>{english_date(i.published)}</span></li>' for i in site.public_items[:4])
    main = f"""<section class="hero"><h1>Harbour Institute for Urban Studies</h1>
<p>An independent research institute in Hong Kong studying how cities grow, work together and renew themselves.</p></section>
<section><h2>Recent News</h2><ul>{rows}</ul><p><a href="/news/">All news &raquo;</a></p></section>"""
    return harbour_page(site, "Home", main, "/")


def harbour_about(site: Site) -> str:
    main = """<h1>About Us</h1>
<p>The Harbour Institute for Urban Studies (HIUS) is a fictional, independent, non-profit research institute created for software demonstrations.</p>
<h2 id="privacy">Privacy</h2><p>This demonstration site collects no personal data.</p>
<h2 id="contact">Contact</h2><p>18/F Harbour Commerce Tower, Wan Chai, Hong Kong.</p>"""
    return harbour_page(site, "About Us", main, "/about.html")


# ---------------------------------------------------------------- donghai (Chinese, Shanghai)


def donghai_page(site: Site, title: str, main: str, canonical: str, charset: str = "utf-8", head: str = "") -> str:
    """Wrap main content in the Donghai Academy's CMS-style chrome."""
    name = site.config["title"]
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="{charset}">
<title>{esc(title)}-{esc(name)}</title>
<meta name="keywords" content="东海社会科学研究院,新闻动态">
<link rel="canonical" href="{ORIGIN}{canonical}">
<link rel="stylesheet" href="/assets/style.css">
{head}</head>
<body>
<div class="topbar">欢迎访问{esc(name)}官方网站 | <a href="/about.html">联系我们</a> | <a href="/sitemap.xml">网站地图</a></div>
<div class="header"><a href="/"><img src="/assets/logo.svg" alt="{esc(name)}"></a>
<ul class="nav"><li><a href="/">网站首页</a></li><li><a href="/xwdt/">新闻动态</a></li><li><a href="/about.html">本院概况</a></li></ul></div>
<div class="main clearfix">
<div class="left">
<div class="lanmu"><h3>新闻动态</h3><ul><li><a href="/xwdt/">院内新闻</a></li><li><a href="/xwdt/">学术活动</a></li><li><a href="/xwdt/">通知公告</a></li></ul></div>
<div class="lanmu"><h3>联系方式</h3><p>电话：021-0000 0000</p><p>地址：上海市徐汇区东海路100号</p></div>
</div>
<div class="right">
{main}
</div>
</div>
<div class="footer">
<p>版权所有：{esc(name)}　地址：上海市徐汇区东海路100号　邮编：200000</p>
<p>本站为演示网站，内容均为虚构　沪ICP备00000000号</p>
</div>
</body>
</html>
"""


def donghai_article(site: Site, item: Item) -> str:
    public = site.public_items
    idx = public.index(item)
    newer = public[idx - 1] if idx > 0 else None
    older = public[idx + 1] if idx + 1 < len(public) else None
    prev_link = f'<a href="{older.path}">{esc(older.title)}</a>' if older else "没有了"
    next_link = f'<a href="{newer.path}">{esc(newer.title)}</a>' if newer else "没有了"
    paras = "\n".join(f'<p style="text-indent: 2em;">{esc(p)}</p>' for p in item.paragraphs)
    head = f'<meta name="ArticleTitle" content="{esc(item.title)}">\n<meta name="PubDate" content="{item.published} 10:30">\n'
    main = f"""<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/xwdt/">新闻动态</a> &gt; 正文</div>
<div class="article">
<h2 class="art-title">{esc(item.title)}</h2>
<div class="art-info">发布时间：{item.published}　　来源：科研处　　字号：[大 中 小]　　<a href="javascript:window.print()">打印本页</a></div>
<div class="TRS_Editor">
{paras}
</div>
<nav class="post-navigation"><p>上一篇：{prev_link}</p><p>下一篇：{next_link}</p></nav>
</div>"""
    charset = "gbk" if item.encoding == "gbk" else "utf-8"
    return donghai_page(site, item.title, main, item.path, charset, head)


def donghai_listing(site: Site, page: list[Item], number: int, urls: list[str]) -> str:
    rows = "\n".join(f'<li><a href="{i.path}" target="_blank">{esc(i.title)}</a><span>{i.published}</span></li>' for i in page)
    prev, next_ = neighbours(urls, number)
    links = [f"共{len(urls)}页", f"当前第{number + 1}页", f'<a href="{urls[0]}">首页</a>']
    if prev:
        links.append(f'<a href="{prev}">上一页</a>')
    if next_:
        links.append(f'<a href="{next_}">下一页</a>')
    links.append(f'<a href="{urls[-1]}">尾页</a>')
    main = f"""<div class="position">当前位置：<a href="/">首页</a> &gt; 新闻动态</div>
<ul class="list">
{rows}
</ul>
<div class="page">{'　'.join(links)}</div>"""
    return donghai_page(site, "新闻动态", main, urls[number])


def donghai_home(site: Site) -> str:
    rows = "".join(f'<li><a href="{i.path}">{esc(i.title)}</a><span>{i.published}</span></li>' for i in site.public_items[:5])
    main = f"""<div class="intro"><h2>本院简介</h2><p>东海社会科学研究院是为软件演示而虚构的综合性社会科学研究机构，位于上海。</p></div>
<div class="news"><h2>新闻动态 <a href="/xwdt/">更多&gt;&gt;</a></h2><ul class="list">{rows}</ul></div>"""
    return donghai_page(site, "首页", main, "/")


def donghai_about(site: Site) -> str:
    main = """<div class="article"><h2 class="art-title">本院概况</h2>
<p>东海社会科学研究院是为软件演示而虚构的研究机构，网站所有内容均为虚构。</p>
<p>地址：上海市徐汇区东海路100号　电话：021-0000 0000</p></div>"""
    return donghai_page(site, "本院概况", main, "/about.html")


# ---------------------------------------------------------------- pearl (bilingual, Guangzhou)

PEARL_TEXT = {
    "en": {"news": "News", "home": "Home", "about": "About", "switch": ("中文", "/zh/news/"), "next": "Next", "prev": "Previous", "lang": "en"},
    "zh": {"news": "新闻", "home": "首页", "about": "关于我们", "switch": ("English", "/en/news/"), "next": "下一页", "prev": "上一页", "lang": "zh-Hans"},
}


def pearl_page(site: Site, lang: str, title: str, main: str, canonical: str, head: str = "") -> str:
    """Wrap main content in the Pearl River Delta Policy Forum's bilingual chrome."""
    t = PEARL_TEXT[lang]
    name = site.config["title"] if lang == "en" else site.config["title_zh"]
    other, other_href = t["switch"]
    return f"""<!DOCTYPE html>
<html lang="{t['lang']}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} — {esc(name)}</title>
<link rel="canonical" href="{ORIGIN}{canonical}">
<link rel="alternate" type="application/atom+xml" title="PRDPF" href="/atom.xml">
<link rel="stylesheet" href="/static/forum.css">
{head}</head>
<body>
<header class="top">
  <div class="brand"><a href="/">{esc(site.config['title'])} · {esc(site.config['title_zh'])}</a></div>
  <nav aria-label="main"><a href="/">{t['home']}</a> <a href="/{lang}/news/">{t['news']}</a> <a href="/about.html">{t['about']}</a> <a class="lang-switch" href="{other_href}">{other}</a></nav>
</header>
<div class="layout">
{main}
<aside class="widgets">
  <div class="widget"><h4>Follow us · 关注我们</h4><p>Atom: <a href="/atom.xml">/atom.xml</a></p></div>
  <div class="widget"><h4>Members · 会员</h4><p>Membership is open to research bodies in Guangdong, Hong Kong and Macao.</p></div>
</aside>
</div>
<footer><small>© 2026 {esc(site.config['title'])} 珠江三角洲政策论坛 · Demo site, all content invented · 演示网站，内容均为虚构</small></footer>
</body>
</html>
"""


def pearl_article(site: Site, item: Item) -> str:
    lang = item.language
    when = english_date(item.published) if lang == "en" else chinese_date(item.published)
    if item.kind == "gallery":
        body = "\n".join(
            f'<figure><img src="/media/gallery/{f}" alt="" width="640" height="400"><figcaption>{n}</figcaption></figure>'
            for n, f in enumerate(item.gallery, 1)
        )
    else:
        body = "\n".join(f"<p>{esc(p)}</p>" for p in item.paragraphs)
    main = f"""<main>
<nav class="crumbs"><a href="/">{PEARL_TEXT[lang]['home']}</a> / <a href="/{lang}/news/">{PEARL_TEXT[lang]['news']}</a></nav>
<article>
<header><h1>{esc(item.title)}</h1><p class="byline"><time datetime="{item.published}">{when}</time></p></header>
<section class="article-body">
{body}
</section>
</article>
</main>"""
    head = f'<meta property="og:title" content="{esc(item.title)}">\n'
    return pearl_page(site, lang, item.title, main, item.path, head)


def pearl_listing(site: Site, lang: str, page: list[Item], number: int, urls: list[str]) -> str:
    t = PEARL_TEXT[lang]
    rows = "\n".join(
        f'<div class="card"><time datetime="{i.published}">{i.published}</time><h3><a href="{i.path}">{esc(i.title)}</a></h3><p>{esc(i.summary)}</p></div>'
        for i in page
    )
    prev, next_ = neighbours(urls, number)
    head, pager = "", []
    if prev:
        pager.append(f'<a rel="prev" href="{prev}">{t["prev"]}</a>')
    if next_:
        head = f'<link rel="next" href="{next_}">\n'
        pager.append(f'<a rel="next" href="{next_}">{t["next"]}</a>')
    main = f"""<main>
<h1>{t['news']}</h1>
<div class="cards">
{rows}
</div>
<nav class="pager">{' '.join(pager)}</nav>
</main>"""
    return pearl_page(site, lang, t["news"], main, urls[number], head)


def pearl_home(site: Site) -> str:
    en, zh = ("".join(f'<li><a href="{i.path}">{esc(i.title)}</a></li>' for i in site.public_in(lang)[:3])
              for lang in ("en", "zh"))
    main = f"""<main>
<h1>Pearl River Delta Policy Forum · 珠江三角洲政策论坛</h1>
<p>A fictional membership forum for policy research across Guangdong, Hong Kong and Macao, made for software demonstrations.</p>
<section><h2><a href="/en/news/">News</a></h2><ul>{en}</ul></section>
<section><h2><a href="/zh/news/">新闻</a></h2><ul>{zh}</ul></section>
</main>"""
    return pearl_page(site, "en", "Home", main, "/")


def pearl_about(site: Site) -> str:
    main = """<main><h1>About · 关于我们</h1>
<p>The Pearl River Delta Policy Forum is invented for software demonstrations. 本论坛为演示而虚构。</p></main>"""
    return pearl_page(site, "en", "About", main, "/about.html")


# ---------------------------------------------------------------- feeds, sitemaps, robots


def rss_date(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{'Mon Tue Wed Thu Fri Sat Sun'.split()[d.weekday()]}, {d.day:02d} {MONTHS[d.month - 1][:3]} {d.year} 09:00:00 +0800"


def rss_feed(site: Site, limit: int = 8) -> str:
    items = "\n".join(
        f"""  <item>
    <title>{esc(i.title)}</title>
    <link>{ORIGIN}{i.path}</link>
    <guid isPermaLink="true">{ORIGIN}{i.path}</guid>
    <pubDate>{rss_date(i.published)}</pubDate>
    <description>{esc(i.summary)}</description>
  </item>"""
        for i in site.public_items[:limit]
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>{esc(site.config['title'])} — News</title>
  <link>{ORIGIN}/news/</link>
  <atom:link href="{ORIGIN}/feed.xml" rel="self" type="application/rss+xml"/>
  <description>News and event reports from the {esc(site.config['title'])} (demo site).</description>
  <language>en-gb</language>
  <lastBuildDate>{rss_date(site.public_items[0].published)}</lastBuildDate>
{items}
</channel>
</rss>
"""


def atom_feed(site: Site) -> str:
    entries = "\n".join(
        f"""  <entry xml:lang="{i.language}">
    <id>{ORIGIN}{i.path}</id>
    <title>{esc(i.title)}</title>
    <link rel="alternate" type="text/html" href="{ORIGIN}{i.path}"/>
    <published>{i.published}T09:00:00+08:00</published>
    <updated>{i.published}T09:00:00+08:00</updated>
    <summary>{esc(i.summary)}</summary>
  </entry>"""
        for i in site.public_items
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>{ORIGIN}/</id>
  <title>{esc(site.config['title'])} · {esc(site.config['title_zh'])}</title>
  <link rel="self" href="{ORIGIN}/atom.xml"/>
  <link rel="alternate" type="text/html" href="{ORIGIN}/"/>
  <updated>{site.public_items[0].published}T09:00:00+08:00</updated>
  <author><name>PRDPF Secretariat</name></author>
{entries}
</feed>
"""


def urlset(entries: list[tuple[str, str | None]]) -> str:
    rows = "\n".join(
        f"  <url><loc>{ORIGIN}{path}</loc>" + (f"<lastmod>{mod}</lastmod>" if mod else "") + "</url>" for path, mod in entries
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{rows}
</urlset>
"""


def sitemap_index(paths: list[str]) -> str:
    rows = "\n".join(f"  <sitemap><loc>{ORIGIN}{p}</loc></sitemap>" for p in paths)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{rows}
</sitemapindex>
"""


ROBOTS = {
    "harbour": "User-agent: *\nDisallow: /private/\nDisallow: /search\n\nSitemap: {{ORIGIN}}/sitemap.xml\n",
    "donghai": "User-agent: *\nCrawl-delay: 1\nDisallow: /admin/\n\nSitemap: {{ORIGIN}}/sitemap.xml\n",
    "pearl": "User-agent: *\nAllow: /\n",
}

CSS = "body{font-family:sans-serif;margin:0}main,.right{padding:1em}.sidebar,.left,.widgets{font-size:90%}\n"


def svg(label: str, colour: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400" viewBox="0 0 640 400">'
        f'<rect width="640" height="400" fill="{colour}"/><text x="320" y="210" font-size="32" text-anchor="middle" fill="#fff">{label}</text></svg>\n'
    )


# ---------------------------------------------------------------- writing


class Writer:
    """Collect output files (path -> bytes) for one site."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, url_path: str, text: str, encoding: str = "utf-8") -> None:
        self.files[file_for(url_path)] = text.encode(encoding)


def listing_urls(base: str, pages: int, style: str) -> list[str]:
    """Return the URL of each listing page in a site's pagination style."""
    if style == "harbour":
        return [base] + [f"{base}page/{n}/" for n in range(2, pages + 1)]
    if style == "donghai":
        return [base] + [f"{base}index_{n}.html" for n in range(1, pages)]
    return [base] + [f"{base}page{n}.html" for n in range(2, pages + 1)]


def write_listings(w: Writer, items: list[Item], base: str, size: int, style: str, render: Callable[..., str]) -> list[str]:
    pages = paginate(items, size)
    urls = listing_urls(base, len(pages), style)
    for number, page in enumerate(pages):
        w.put(urls[number], render(page, number, urls))
    return urls


def build_harbour(site: Site) -> Writer:
    w = Writer()
    for item in site.items:
        if item.kind != "missing":
            w.put(item.path, harbour_article(site, item))
    urls = write_listings(w, site.items, "/news/", site.config["page_size"], "harbour", lambda p, n, u: harbour_listing(site, p, n, u))
    w.put("/", harbour_home(site))
    w.put("/about.html", harbour_about(site))
    w.put("/feed.xml", rss_feed(site))
    pages = [("/", None), ("/about.html", None)] + [(u, None) for u in urls]
    w.put("/sitemap.xml", urlset(pages + [(i.path, i.published) for i in site.public_items]))
    w.put("/robots.txt", ROBOTS["harbour"])
    w.put("/assets/site.css", CSS)
    w.put("/assets/logo.svg", svg("HIUS", "#1d4e89"))
    return w


def build_donghai(site: Site) -> Writer:
    w = Writer()
    for item in site.items:
        w.put(item.path, donghai_article(site, item), item.encoding)
    urls = write_listings(w, site.items, "/xwdt/", site.config["page_size"], "donghai", lambda p, n, u: donghai_listing(site, p, n, u))
    w.put("/", donghai_home(site))
    w.put("/about.html", donghai_about(site))
    w.put("/sitemap.xml", sitemap_index(["/sitemap-pages.xml", "/sitemap-xwdt.xml"]))
    w.put("/sitemap-pages.xml", urlset([("/", None), ("/about.html", None)] + [(u, None) for u in urls]))
    w.put("/sitemap-xwdt.xml", urlset([(i.path, i.published) for i in site.public_items]))
    w.put("/robots.txt", ROBOTS["donghai"])
    w.put("/assets/style.css", CSS)
    w.put("/assets/logo.svg", svg("东海", "#8b1a1a"))
    return w


def build_pearl(site: Site) -> Writer:
    w = Writer()
    for item in site.items:
        if item.kind != "missing":
            w.put(item.path, pearl_article(site, item))
            for n, name in enumerate(item.gallery, 1):
                w.put(f"/media/gallery/{name}", svg(f"Photo {n}", "#2e7d32"))
    for lang, suffix in (("en", ""), ("zh", "_zh")):
        items = site.items_in(lang)
        base, size = site.config[f"listing_path{suffix}"], site.config[f"page_size{suffix}"]
        write_listings(w, items, base, size, "pearl", lambda p, n, u, lang=lang: pearl_listing(site, lang, p, n, u))
    w.put("/", pearl_home(site))
    w.put("/about.html", pearl_about(site))
    w.put("/atom.xml", atom_feed(site))
    w.put("/robots.txt", ROBOTS["pearl"])
    w.put("/static/forum.css", CSS)
    return w


BUILDERS = {"harbour": build_harbour, "donghai": build_donghai, "pearl": build_pearl}  # in site order


def load_sites(content_dir: Path = DEMO_DIR / "content") -> list[Site]:
    return [load_site(content_dir / f"{name}.yaml") for name in BUILDERS]


def render_all(sites: list[Site]) -> dict[str, bytes]:
    """Return every output file of every site as {"<site>/<path>": bytes}."""
    out: dict[str, bytes] = {}
    for site in sites:
        for rel, data in BUILDERS[site.name](site).files.items():
            out[f"{site.name}/{rel}"] = data
    return out


def write_tree(files: dict[str, bytes], out_dir: Path) -> None:
    """Replace out_dir with exactly the given files."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    for rel, data in sorted(files.items()):
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


# ---------------------------------------------------------------- README


CITY_EN = {
    "上海": "Shanghai", "香港": "Hong Kong", "澳门": "Macao", "深圳": "Shenzhen", "广州": "Guangzhou",
    "杭州": "Hangzhou", "南京": "Nanjing", "合肥": "Hefei", "苏州": "Suzhou", "珠海": "Zhuhai",
}


def with_english(city: str) -> str:
    return f"{city} ({CITY_EN[city]})" if city in CITY_EN else city


def speaker_line(s: list[str]) -> str:
    name, title, org, role = s
    return f"{name} ({title}, {org}; {role})"


def article_rows(site: Site) -> list[str]:
    rows = []
    for i in sorted(site.items, key=lambda i: i.path):
        f = i.facts
        cities = ", ".join(with_english(c) for c in f.get("cities", []))
        pairs = "; ".join("–".join(with_english(c) for c in p) for p in f.get("pairs", []))
        speakers = "; ".join(speaker_line(s) for s in f.get("speakers", []))
        kind = i.kind if i.kind != "non-event" else f"non-event ({i.category})"
        enc = " **GBK**" if i.encoding == "gbk" else ""
        rows.append(
            f"| `{i.path}` | {kind} | {i.language}{enc} | {i.published} | {f.get('event_date', '')} | {esc_md(i.title)} | {cities} | {pairs} | {esc_md(speakers)} |"
        )
    return rows


def esc_md(text: str) -> str:
    return text.replace("|", "\\|")


def readme(sites: list[Site]) -> str:
    parts = [README_HEAD]
    for site in sites:
        parts.append(f"\n### `{site.name}` — {site.config['title']}\n")
        parts.append("| path | kind | lang | published | event date | title | cities | pairs | speakers (title, affiliation; role) |")
        parts.append("|---|---|---|---|---|---|---|---|---|")
        parts.extend(article_rows(site))
    parts.append(README_TAIL)
    return "\n".join(parts) + "\n"


README_HEAD = """# Demo sites

Three invented institutions, served offline by `coopwatch.demo.DemoSites` for tests, demos and
end-to-end checks. **Every name, organisation, venue, quotation and figure here is fictional**; no text
was copied from any real site.

| site | institution | language | listing (pagination) | feed | sitemap | robots.txt |
|---|---|---|---|---|---|---|
| `harbour` | Harbour Institute for Urban Studies (HIUS), Hong Kong | en | `/news/` → `/news/page/2/` (`a.next`, "Next »") | RSS 2.0 `/feed.xml` (8 newest) | `/sitemap.xml` (urlset) | `Disallow: /private/` |
| `donghai` | 东海社会科学研究院 (Donghai Academy of Social Sciences), Shanghai | zh | `/xwdt/` → `/xwdt/index_1.html` → `/xwdt/index_2.html` ("下一页", no class) | none | `/sitemap.xml` (sitemap **index** → `/sitemap-pages.xml`, `/sitemap-xwdt.xml`) | `Crawl-delay: 1` |
| `pearl` | Pearl River Delta Policy Forum (珠江三角洲政策论坛), Guangzhou | en + zh | `/en/news/` → `/en/news/page2.html`; `/zh/news/` → `/zh/news/page2.html` (`a[rel=next]`, `<link rel=next>`) | Atom `/atom.xml` (all public, both languages) | none | allow all |

Test hooks built into the content:

- `harbour` lists `/private/2025/board-retreat-notes.html`; robots.txt disallows `/private/`, so a polite
  crawler must never request it (the file exists, so a request would show up as a 200 in the request log).
- `pearl` lists `/en/news/2026/annual-report-2025.html`, which does not exist (404).
- `pearl` `/en/news/2025/gallery-gba-data-seminar.html` is an image gallery with no text (extraction
  should fail and be recorded).
- `donghai` `/xwdt/202412/t20241210_4052.html` is encoded in **GBK**, declared only by `<meta charset="gbk">`;
  the server sends `Content-Type: text/html` with no charset.
- One event, two reports: the harbour `shanghai-hong-kong-urban-renewal-symposium` (English) and donghai
  `/xwdt/202503/t20250314_4110.html` (Chinese) report the same symposium of 2025-03-12; event grouping gives
  them one event id (`coopwatch events "urban renewal"`).
- One person, two differently written titles: "Dr Vivian Tsang Mei-ling, Deputy Director of the Harbour
  Institute for Urban Studies" (moderator, Shanghai–Hong Kong symposium) and "Dr. Vivian M. L. Tsang,
  Deputy Director (Research), HIUS" (panelist, Greater Bay Area mobility forum).
- The same invented people also appear across languages: Albert Fong Chi-keung = 方志强 (HIUS Chairman),
  Helen Yip Suk-ching = 叶淑贞 (PRDPF Executive Director), Patrick Szeto Wai-lok = 司徒伟乐,
  Kuan Sio-fong = 关少峰, Zhou Jianping = 周建平, Shen Yuqing = 沈雨晴; Ana Sequeira Ho and 梁慧琪 speak at two events each.
- Future events are announced, not reported: harbour `/news/2026/forthcoming-hong-kong-guangzhou-youth-dialogue.html`
  (2027-01-15) and donghai `/xwdt/202610/t20261028_4290.html` (2027-04-17). Hard negatives that mention city
  pairs without being event reports: harbour `report-housing-the-twin-cities` (Shenzhen/Hong Kong), donghai
  `t20260226_4215` (沪港 call for papers) and `t20260115_4201` (长三角 report).
- Feeds, sitemaps, robots.txt `Sitemap:` lines and `<link rel=canonical>` use the placeholder `{{ORIGIN}}`,
  replaced by the server with `http://127.0.0.1:PORT`. Links inside pages are root-relative.

Useful end-to-end expectations: `search "Hong Kong"` should find the harbour event reports
(`shanghai-hong-kong-urban-renewal-symposium`, `greater-bay-area-mobility-forum`,
`shenzhen-hong-kong-talent-roundtable`, `hong-kong-macao-heritage-seminar`, `shenzhen-hong-kong-research-mou-signing`)
and pearl `gba-seminar-cross-border-data`; the Chinese query `沪港` should find donghai
`/xwdt/202511/t20251119_4188.html` (event) and `/xwdt/202602/t20260226_4215.html` (call for papers, non-event).

## Articles

Kinds: `event` = report of a past event; `future-event` = announcement of an event not yet held;
`non-event (…)` = ordinary news; `private` = disallowed by robots.txt; `missing` = listed but 404;
`gallery` = images only. Pairs are the city pairs an event connects. The same list, with speakers as
objects and English city names, is in `demo/articles.json` (generated; load it in end-to-end tests).
"""

README_TAIL = """
## Serving and regenerating

```bash
.venv/bin/python -m coopwatch.demo serve --port-base 8701      # harbour :8701, donghai :8702, pearl :8703
.venv/bin/python -m coopwatch.demo sources --port-base 8701    # sources YAML for those origins
.venv/bin/python demo/build_sites.py                           # after editing demo/content/*.yaml
```

`demo/sources.template.yaml` is the sources file for the demo with `{{harbour}}`, `{{donghai}}` and
`{{pearl}}` placeholders; `coopwatch.demo.render_sources(origins)` fills it in.

In tests:

```python
from coopwatch.demo import DemoSites, render_sources

with DemoSites() as sites:                      # ephemeral ports (port_base=8701 for fixed ones)
    sites.origins                                # {"harbour": "http://127.0.0.1:PORT", ...}
    sites.sources_yaml()                         # == render_sources(sites.origins)
    sites.fail("harbour", "/feed.xml", 503, times=2, headers={"Retry-After": "1"})
    ...                                          # crawl
    sites.requests_for("harbour", "/private/2025/board-retreat-notes.html")   # [] when robots.txt is obeyed
    [(r.path, r.status, r.conditional) for r in sites.request_log]
```

The servers send ETag (sha256 of the served body) and Last-Modified (file mtime), answer matching
`If-None-Match` / `If-Modified-Since` with 304, gzip when `Accept-Encoding` allows it, redirect a
directory without its slash (301), and answer 404 for anything else. `DemoSites(root=tmp_copy)` serves a
copy of `demo/sites/` that a test may edit (e.g. to make a page change between two crawls).
"""


def manifest(sites: list[Site]) -> str:
    """Return demo/articles.json: every listing entry's facts (no body), for end-to-end assertions."""
    rows = []
    for site in sites:
        for i in sorted(site.items, key=lambda i: i.path):
            facts = dict(i.facts)
            if "speakers" in facts:
                facts["speakers"] = [dict(zip(("name", "title", "affiliation", "role"), s)) for s in facts["speakers"]]
            if "cities" in facts:
                facts["cities_en"] = [CITY_EN.get(c, c) for c in facts["cities"]]
            rows.append({
                "site": site.name, "path": i.path, "kind": i.kind, "category": i.category, "language": i.language,
                "encoding": i.encoding, "published": i.published, "title": i.title, "facts": facts,
            })
    return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"


def main() -> None:
    sites = load_sites()
    write_tree(render_all(sites), DEMO_DIR / "sites")
    (DEMO_DIR / "README.md").write_text(readme(sites), encoding="utf-8")
    (DEMO_DIR / "articles.json").write_text(manifest(sites), encoding="utf-8")
    total = sum(1 for s in sites for i in s.items)
    print(f"built {len(sites)} sites, {total} listing entries -> {DEMO_DIR / 'sites'}")


if __name__ == "__main__":
    main()
