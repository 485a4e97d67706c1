"""Speakers written in delegation and attendee lists, or inside titles (all names and sentences here are invented).

Kinds of page this guards: sister-city signings and delegation visits that list people by bare name after a
plural position ("councilors A, B and C"), officials named inside a title in lower case ("Shanghai mayor X",
"liaison officer Y"), a title clause before the name ("met with the mayor of Linhai, Wang Anshu"), elected
positions (Senator, Vice-Mayor) and attendance written as "also present was", "represented by", "also at the
meeting were".
"""

from tests.structure.helpers import en_people, report_of, with_roles


def test_plural_position_gives_its_title_to_every_listed_name():
    people = with_roles(en_people(
        "The signing was witnessed by councilors Marco Velasquez, Dario Lumbang, and Peter Ocampo Jr."))
    assert set(people) == {"Marco Velasquez", "Dario Lumbang", "Peter Ocampo Jr"}
    assert {title for title, _, _ in people.values()} == {"councilor"}
    assert {role for _, _, role in people.values()} == {"attendee"}


def test_capitalised_plural_position_before_a_comma_list():
    people = with_roles(en_people(
        "The members of the delegation were Rina Oshiro, President of the Kanto City Council; three Kanto City "
        "Councilors, Kenji Mori, Taro Abe, and Yuki Hara."))
    assert {"Kenji Mori", "Taro Abe", "Yuki Hara", "Rina Oshiro"} <= set(people)
    assert people["Taro Abe"][0] == "Councilor"


def test_lower_case_title_with_its_organisation_before_the_name():
    people = with_roles(en_people(
        "Also present were Riverside Sports Council (RSC) head Alma Reyes, city administrator Ben Dario, "
        "tourism chief Carla Diaz and Universidad de Riverside president Ma. Lina Soto."))
    assert people["Alma Reyes"][:2] == ("head", "Riverside Sports Council (RSC)")
    assert people["Ben Dario"][0] == "city administrator"
    assert people["Carla Diaz"][0] == "tourism chief"
    assert people["Ma. Lina Soto"][:2] == ("president", "Universidad de Riverside")


def test_mayor_named_inside_a_lower_case_or_possessive_title():
    people = with_roles(en_people("The council was co-chaired by Lim Tan and Shanghai’s mayor Gong Wei."))
    assert people["Gong Wei"][:2] == ("mayor", "Shanghai")
    people = with_roles(en_people("Also at the meeting were Hua Min, Shanghai's vice mayor, and Paul Ko, Hong Kong's "
                                  "financial secretary."))
    assert set(people) == {"Hua Min", "Paul Ko"} and people["Hua Min"][2] == "attendee"


def test_title_clause_nearest_the_name_is_its_title():
    people = with_roles(en_people(
        "Linhai City Mayor Eric Tam met Mayor of Cincinnati, Mark Dole, today and re-signed the sister-city agreement."))
    assert people["Mark Dole"][:2] == ("Mayor", "Cincinnati")
    assert people["Eric Tam"][2] == "signatory"  # "met B ... and re-signed": the signing is A's too
    people = en_people("Mayor Park Jun met with the mayor of Beijing, Wang Anshu, at 16:30.")
    assert ("Wang Anshu", "mayor", "Beijing") in [p[:3] for p in people]


def test_elected_and_hyphenated_positions_are_titles_not_names():
    people = with_roles(en_people(
        "Joined by Senator Dana Fields and Former Mayor Frank Doyle, Mayor Gavin Moss met in the guest house."))
    assert people["Dana Fields"][0] == "Senator"
    people = with_roles(en_people("It was attended by Linhai Vice-Mayor Chen Yao and Hamburg Parliament President Clara Veit."))
    assert set(people) == {"Chen Yao", "Clara Veit"}
    assert people["Chen Yao"][:2] == ("Vice-Mayor", "Linhai")


def test_country_before_a_name_is_not_part_of_it():
    people = with_roles(en_people("The signing was witnessed by Iraqi Ambassador to the Philippines Wadi Salim Hanna."))
    assert people == {"Wadi Salim Hanna": ("Iraqi Ambassador to the Philippines", None, "attendee")}


def test_bare_names_present_or_representing_a_city_are_attendees():
    people = with_roles(en_people("Also present was Robel Tesfaye representing Gondar and Ivan Horvat representing Uzhhorod."))
    assert set(people) == {"Robel Tesfaye", "Ivan Horvat"}
    people = with_roles(en_people("The association was represented by Karen Lund and the councils were represented by "
                                  "Ari Stone and Alice Brand."))
    assert set(people) == {"Karen Lund", "Ari Stone", "Alice Brand"}


def test_an_organisation_before_a_title_is_not_a_person():
    assert [p[0] for p in en_people("It was attended by Hamburg Parliament President Clara Veit.")] == ["Clara Veit"]


def test_later_mentions_by_title_and_surname_join_the_person():
    report = report_of(
        "On October 21, Linhai Mayor Keita Tanaka and Linhai City Council Chairperson Kana Mori attended the ceremony.\n"
        "During the ceremony, Mayor Alan Weber of Santa Fe, Mayor Tanaka, and Chairperson Mori signed a declaration.")
    by_name = {s.name: s for s in report.speakers}
    assert set(by_name) == {"Keita Tanaka", "Kana Mori", "Alan Weber"}
    assert by_name["Keita Tanaka"].role == "signatory"


def test_place_in_a_possessive_or_of_phrase_is_the_affiliation():
    people = with_roles(en_people("Also at the meeting were Hua Min, Shanghai's vice mayor, and Paul Ko, Hong Kong's "
                                  "financial secretary."))
    assert people["Hua Min"][:2] == ("vice mayor", "Shanghai") and people["Paul Ko"][:2] == ("financial secretary", "Hong Kong")
    assert en_people("Mayor Alan Weber of Santa Fe signed the declaration.")[0][1:3] == ("Mayor", "Santa Fe")
    assert en_people("eThekwini Mayor Mxolisi Kunene signed the memorandum.")[0][1:3] == ("Mayor", "eThekwini")


def test_a_teacher_in_an_apposition_and_remarks_while_attending():
    assert en_people("Prof. Yuan Ming presided and Dr. Yun Wen, a teacher of CZR gave comments.")[1][1:3] == ("teacher", "CZR")
    people = with_roles(en_people("The Consulate was invited with Deputy Consul-General Isamu Aoki attending and giving "
                                  "short remarks."))
    assert people["Isamu Aoki"][2] == "speaker"


def test_the_two_sides_who_sign_are_the_people_just_named():
    report = report_of("On November 15, Ye Bang, Mayor of Linhai City, met with Melissa Skerry, Minister of Housing of "
                       "the Commonwealth of Dominica, and her delegation. The two sides jointly signed a memorandum on "
                       "friendly exchanges between Linhai City and Roseau City.")
    assert {s.name: s.role for s in report.speakers} == {"Ye Bang": "signatory", "Melissa Skerry": "signatory"}
    report = report_of("Mayor Gavin Moss and Mayor Han Li met in the guest house this evening to sign the Memorandum.")
    assert {s.role for s in report.speakers} == {"signatory"}
