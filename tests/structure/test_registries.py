"""Registries as data files: people, organisations and places load, validate with file:line errors, and extend."""

from pathlib import Path

import pytest

from ingest.structure import RegistryError, org_key, organisation, person, person_key, place_key, place_name
from ingest.structure.registry import load_organisations, load_people, reload_registries
from ingest.structure.registry_files import EXTRA_ENV, SHIPPED


def test_one_person_key_across_scripts_and_romanisations():
    assert len({person_key(n) for n in ("梁振英", "梁振英先生", "Mr Leung Chun-ying", "C.Y. Leung", "Leung Chun Ying")}) == 1
    assert person("龔正").title_in(2024).title == "Mayor"


def test_one_org_key_for_name_english_name_and_abbreviation():
    assert org_key("SASS") == org_key("上海社會科學院") == org_key("the Shanghai Academy of Social Sciences") == "org:sass"
    assert organisation("中国社科院城市发展与环境研究所").parent == "cass"
    assert org_key("Some Unregistered Institute").startswith("org:")


def test_place_names_in_any_script():
    assert place_name("滬") == place_name("上海") == place_name("Shanghai") == "Shanghai"
    assert place_key("HKSAR") == place_key("香港") == "place:hong-kong"
    assert place_name("大分") == "Oita" and place_name("Macau") == "Macao"


def test_shipped_files_load_without_errors():
    assert load_people([SHIPPED / "people.yaml"])[0] and load_organisations([SHIPPED / "organisations.yaml"])[0]


def _error(tmp_path: Path, text: str, loader=load_people) -> RegistryError:
    path = tmp_path / "people.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError) as info:
        loader([path])
    return info.value


def test_a_name_given_to_two_people_names_both_lines(tmp_path):
    err = _error(tmp_path, "- key: a-one\n  names: [Chan Tai Man]\n- key: a-two\n  names: [Tai Man Chan]\n")
    assert err.line == 3 and "already names 'a-one' (line 1)" in str(err) and str(tmp_path) in str(err)


def test_bad_keys_years_and_yaml_are_reported_with_their_line(tmp_path):
    assert _error(tmp_path, "- key: Bad Key\n  names: [X Y]\n").line == 1
    assert "unknown key 'nmes'" in str(_error(tmp_path, "- key: x\n  names: [A B]\n- key: y\n  nmes: [C D]\n"))
    err = _error(tmp_path, "- key: x\n  names: [A B]\n  titles:\n    - {title: Mayor, from: 2020, to: 2010}\n")
    assert err.line == 4 and "before" in str(err)
    assert _error(tmp_path, "- key: x\n  names: [A B\n").line is not None
    assert "parent" in str(_error(tmp_path, "- key: x\n  names: [A B]\n  parent: nowhere\n", load_organisations))


def test_staff_extend_the_registry_from_their_own_directory(tmp_path, monkeypatch):
    (tmp_path / "people.yaml").write_text("- key: chan-tai-man\n  names: [Chan Tai-man, 陳大文]\n", encoding="utf-8")
    monkeypatch.setenv(EXTRA_ENV, str(tmp_path))
    try:
        reload_registries()
        assert person_key("陈大文") == person_key("Chan Tai-man") == "person:chan-tai-man"
        assert person_key("梁振英") == "person:leung-chun-ying"  # shipped entries stay
    finally:
        monkeypatch.delenv(EXTRA_ENV)
        reload_registries()
