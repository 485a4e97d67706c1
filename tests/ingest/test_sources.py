"""The sources file: smallest valid form, and errors that name the file, the line, the key and the fix."""

import pytest

from ingest.settings import ConfigError
from ingest.sources import load_sources


def write(tmp_path, text):
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_smallest_valid_file_needs_only_name_and_start_urls(tmp_path):
    path = write(tmp_path, "sources:\n  - name: sass-en\n    start_urls: [https://english.sass.org.cn/news/]\n")
    [source] = load_sources(path)
    assert source.name == "sass-en"
    assert source.max_pages == 3 and source.feeds == [] and source.enabled


def test_unknown_key_names_file_line_and_known_keys(tmp_path):
    path = write(tmp_path, "sources:\n  - name: a\n    start_urls: [https://a.org/]\n    start_url: https://a.org/x\n")
    with pytest.raises(ConfigError) as err:
        load_sources(path)
    message = str(err.value)
    assert f"{path}:4:" in message and "'start_url'" in message and "start_urls" in message


def test_missing_required_key_says_what_is_expected(tmp_path):
    path = write(tmp_path, "sources:\n  - name: a\n    feeds: [https://a.org/feed]\n")
    with pytest.raises(ConfigError, match=r"sources.yaml:2: source 'a': key 'start_urls' is required"):
        load_sources(path)


def test_bad_url_points_at_its_line(tmp_path):
    path = write(tmp_path, "sources:\n  - name: a\n    start_urls:\n      - https://a.org/\n    feeds:\n      - feed.xml\n")
    with pytest.raises(ConfigError, match=r"sources.yaml:6: source 'a': key 'feeds': 'feed.xml' is not an absolute"):
        load_sources(path)


def test_bad_regex_and_bad_name_and_duplicates(tmp_path):
    bad_regex = write(tmp_path, "sources:\n  - name: a\n    start_urls: [https://a.org/]\n    include: ['(']\n")
    with pytest.raises(ConfigError, match=r":4: .*not a valid regular expression"):
        load_sources(bad_regex)
    bad_name = write(tmp_path, "sources:\n  - name: Bad Name\n    start_urls: [https://a.org/]\n")
    with pytest.raises(ConfigError, match=r":2: .*lower-case"):
        load_sources(bad_name)
    dup = write(tmp_path, "sources:\n  - name: a\n    start_urls: [https://a.org/]\n  - name: a\n    start_urls: [https://b.org/]\n")
    with pytest.raises(ConfigError, match=r":4: source name 'a' is used twice"):
        load_sources(dup)


def test_not_yaml_and_wrong_shape(tmp_path):
    with pytest.raises(ConfigError, match=r"sources.yaml:\d+: not valid YAML"):
        load_sources(write(tmp_path, "sources:\n  - name: [unclosed\n"))
    with pytest.raises(ConfigError, match=r"key 'sources' is missing"):
        load_sources(write(tmp_path, "site: x\n"))
    with pytest.raises(ConfigError, match=r":1: key 'sources': expected a list"):
        load_sources(write(tmp_path, "sources: nope\n"))


def test_include_exclude_patterns_filter_urls(tmp_path):
    path = write(tmp_path, "sources:\n  - name: a\n    start_urls: [https://a.org/]\n"
                           "    include: ['/news/\\d{4}/']\n    exclude: ['/tag/']\n")
    [source] = load_sources(path)
    assert source.wants("https://a.org/news/2025/x.html")
    assert not source.wants("https://a.org/about.html")
    assert not source.wants("https://a.org/news/2025/tag/x.html")


def test_disabled_sources_are_skipped_unless_asked(tmp_path):
    path = write(tmp_path, "sources:\n  - name: a\n    start_urls: [https://a.org/]\n    enabled: false\n")
    assert load_sources(path) == []
    assert len(load_sources(path, enabled_only=False)) == 1


def test_starter_list_is_valid():
    from pathlib import Path

    sources = load_sources(Path(__file__).parents[2] / "sources" / "thinktanks.yaml", enabled_only=False)
    names = {s.name for s in sources}
    assert len(sources) >= 5 and any("sass" in n for n in names)
