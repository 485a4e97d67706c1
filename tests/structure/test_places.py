"""Cities and co-operation pairs: Chinese abbreviations, regions, English pair phrases."""

from ingest.structure.places import cities_and_pairs
from ingest.structure.textutil import to_simplified
from tests.structure.helpers import en_pair_list
from tests.structure.helpers import zh_pair_list as pairs_zh


def test_hu_gang_cooperation_is_hong_kong_shanghai():
    assert pairs_zh("加强沪港合作") == [["Hong Kong", "Shanghai"]]


def test_traditional_script_compound():
    assert pairs_zh("推進滬港兩地合作") == [["Hong Kong", "Shanghai"]]


def test_shen_gang_and_dot_separated_names():
    assert pairs_zh("深港融合发展") == [["Hong Kong", "Shenzhen"]]
    assert pairs_zh("深圳·香港經貿合作交流會") == [["Hong Kong", "Shenzhen"]]


def test_three_party_framework_gives_no_pair():
    assert pairs_zh("粤港澳大湾区建设") == []
    assert pairs_zh("第三届清华港澳会讲") == []


def test_english_pair_phrases():
    text = "the Shanghai-Hong Kong Cooperation and Development Symposium and the Hong Kong/Shenzhen Co-operation Meeting"
    assert en_pair_list(text) == [["Hong Kong", "Shanghai"], ["Hong Kong", "Shenzhen"]]


def test_regions_are_not_expanded():
    text = "2023粤港澳大湾区学术研讨会在广州举行。"
    cities, pairs, _ = cities_and_pairs(text, to_simplified(text), "zh", [text], "广州")
    assert cities == ["Greater Bay Area"] and pairs == []


def test_participant_origins_count_as_cities():
    text = "来自上海、香港、深圳等地的一百多位专家出席滬港合作论坛。"
    cities, pairs, _ = cities_and_pairs(text, to_simplified(text), "zh", [], None)
    assert set(cities) == {"Shanghai", "Hong Kong", "Shenzhen"} and pairs == [["Hong Kong", "Shanghai"]]


def test_sister_city_partners():
    text = "Shanghai set up its sister-city relationship with Athens, Greece, this year."
    assert en_pair_list(text) == [["Athens", "Shanghai"]]
