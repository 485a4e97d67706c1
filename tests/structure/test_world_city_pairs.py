"""City pairs for any two cities of the world (GeoNames), and words that are also city names kept out of places."""

from ingest.structure.gazetteer import find_places, is_place
from ingest.structure.placenames import place_index
from tests.structure.helpers import en_pair_list, zh_pair_list


def test_sister_cities_outside_china_and_the_old_gazetteer():
    assert en_pair_list("Mayor Newsom signed the MoU for the San Francisco-Shanghai Sister City Relationship.") == [
        ["San Francisco", "Shanghai"]]
    assert en_pair_list("Wuhan and Oita signed an agreement to establish sister-city relations.") == [["Oita", "Wuhan"]]
    assert en_pair_list("Los Angeles marks its sister-city relationship with Guangzhou.") == [["Guangzhou", "Los Angeles"]]
    assert en_pair_list("The City of Chicago and the City of Osaka marked 50 years of their sister-city relationship.") == [
        ["Chicago", "Osaka"]]


def test_chinese_pairs_of_world_cities():
    assert zh_pair_list("武汉市与大分市缔结友好城市关系三十周年。") == [["Oita", "Wuhan"]]
    assert zh_pair_list("上海與大阪自1974年結為友好城市以來合作廣泛。") == [["Osaka", "Shanghai"]]


def test_a_list_of_three_cities_is_no_pair():
    assert en_pair_list("Guangzhou, Shenzhen and Hong Kong cooperation") == []
    assert zh_pair_list("上海、香港、深圳等地的专家交流合作") == []


def test_words_that_are_also_city_names_are_not_places():
    text = "Reading the report, the Victoria Harbour delegation met in the Mission Hall."
    assert [h.name for h in find_places(text)] == []
    assert not is_place("Reading") and is_place("Hong Kong")
    assert [h.name for h in find_places("中山大学与拱北海关的专家在长治久安论坛上发言")] == []
    assert [h.name for h in find_places("中山市代表团访问珠海")] == ["Zhongshan", "Zhuhai"]


def test_weak_city_names_inside_a_person_name_are_not_places():
    assert en_pair_list("Sister cities guests included Paul Naka and Sarah Cair.") == []


def test_the_registry_is_built_from_the_data_sets():
    index = place_index()
    assert len(set(index.en.values())) > 20000  # GeoNames world cities, not a hand-written list
    assert index.zh["伊斯法罕"] == "Isfahan" and index.zh["内蒙古"] == "Inner Mongolia"
