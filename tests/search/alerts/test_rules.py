"""Watch rules: validation with file:line errors, channels from the environment only, database rules alike."""

from __future__ import annotations

import pytest

from search.alerts.channels import Channels, ChannelError, channel_variable, read_env_file
from search.alerts.rules import RuleError, load_rules, parse_rule
from search.alerts.store import AlertStore
from tests.search.alerts.conftest import index, report
from tests.support.receivers import WebhookReceiver


def write(tmp_path, text: str, name: str = "alerts.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path) -> str:
    with pytest.raises(RuleError) as info:
        load_rules(path)
    return str(info.value)


GOOD = """\
rules:
  - name: gba
    search:
      - {text: Greater Bay Area, events_only: true}
      - {text: 粤港澳大湾区, type: forum}
    channels: [staff-email, team-chat]
    mode: digest
    period: weekly
  - name: pair
    search: {pair: "Hong Kong|Shanghai", city: Shenzhen}
    channels: console
"""


def test_a_good_file_loads_with_every_kind_of_search(tmp_path):
    gba, pair = load_rules(write(tmp_path, GOOD))
    assert [q.text for q in gba.queries()] == ["Greater Bay Area", "粤港澳大湾区"]
    assert gba.queries()[1].event_type == "forum" and gba.mode == "digest" and gba.period == "weekly"
    assert pair.queries()[0].pair == ("Hong Kong", "Shanghai") and pair.queries()[0].cities == ["Shenzhen"]
    assert pair.channels == ["console"] and pair.origin.endswith("alerts.yaml:9")


@pytest.mark.parametrize(("text", "expected"), [
    ("rules:\n  - name: a\n    search: {text: x}\n    channels: [c]\n    colour: red\n",
     "alerts.yaml:5: rule 'a': unknown key 'colour'"),
    ("rules:\n  - name: a\n    search: {text: x, colour: red}\n    channels: [c]\n",
     "alerts.yaml:3: rule 'a': unknown key 'search.colour'"),
    ("rules:\n  - name: a\n    search: {text: x}\n",
     "rule 'a': key 'channels' is required"),
    ("rules:\n  - name: a\n    search: {pair: [Shanghai]}\n    channels: [c]\n",
     "alerts.yaml:3: rule 'a': key 'search.pair': expected two cities"),
    ("rules:\n  - name: a\n    search: {text: x}\n    channels: [c]\n    mode: hourly\n",
     "alerts.yaml:5: rule 'a': key 'mode'"),
    ("rules:\n  - name: Bad Name\n    search: {text: x}\n    channels: [c]\n",
     "alerts.yaml:2: rule 'Bad Name': key 'name': use lower-case letters"),
    ("rules:\n  - name: a\n    search: {text: x}\n    channels: ['mailto://u:secret@smtp.example.org']\n",
     "is not a channel name: use a name such as staff-email; the channel's URL goes in the environment"),
    ("rules:\n  - name: a\n    search: {text: x}\n    channels: [c]\n  - name: a\n    search: {text: y}\n    channels: [c]\n",
     "alerts.yaml:5: rule name 'a' is used twice"),
    ("rules:\n  - name: a\n    name: b\n    search: {text: x}\n    channels: [c]\n",
     "alerts.yaml:3: key 'name' appears twice"),
    ("rules:\n  - &r {name: a, search: {text: x}, channels: [c]}\n  - *r\n",
     "anchors and aliases are not allowed"),
    ("rules:\n  - name: !!python/object:os.system a\n    search: {text: x}\n    channels: [c]\n",
     "alerts.yaml:2: the YAML tag '!!python/object:os.system' is not allowed"),
    ("rules: [\n", "alerts.yaml:2: not valid YAML"),
    ("sources: []\n", "alerts.yaml:1: unknown top-level key 'sources'"),
])
def test_a_mistake_names_the_file_line_key_and_fix(tmp_path, text, expected):
    assert expected in error_of(write(tmp_path, text))


def test_a_file_that_is_not_utf8_is_refused_with_its_line(tmp_path):
    path = tmp_path / "alerts.yaml"
    path.write_bytes("rules:\n  - name: a\n    search: {text: 沪港}\n".encode("gb18030"))
    assert error_of(path) == f"{path}:3: not UTF-8 text: save the file as UTF-8"


def test_a_missing_file_means_no_rules(tmp_path):
    assert load_rules(tmp_path / "absent.yaml") == []


def test_channel_urls_come_from_the_environment_and_an_unknown_scheme_is_refused(tmp_path):
    env_file = write(tmp_path, "# channels\nexport COOPWATCH_CHANNEL_HOOK='json://127.0.0.1:9/hook'\n"
                               "COOPWATCH_CHANNEL_BAD=fooproto://token@host\n", "channels.env")
    channels = Channels.from_environment(str(env_file), environ={"COOPWATCH_CHANNEL_HOOK": "json://127.0.0.1:7/x"})
    assert channels.url("hook") == "json://127.0.0.1:7/x"  # the environment wins over the file
    with pytest.raises(ChannelError, match="COOPWATCH_CHANNEL_BAD has scheme 'fooproto', which no apprise channel"):
        channels.url("bad")
    with pytest.raises(ChannelError, match="channel 'staff-email' is not configured: set COOPWATCH_CHANNEL_STAFF_EMAIL"):
        channels.url("staff-email")
    assert channel_variable("team-chat") == "COOPWATCH_CHANNEL_TEAM_CHAT"


def test_errors_and_descriptions_never_show_a_channel_secret(tmp_path):
    channels = Channels({"COOPWATCH_CHANNEL_MAIL": "mailtos://user:hunter2@smtp.example.org?to=a@example.org",
                         "COOPWATCH_CHANNEL_ODD": "weird://user:hunter2@host"})
    shown = channels.describe("mail") + " " + (channels.problem("odd") or "")
    assert "hunter2" not in shown and "mailtos://…" in shown


def test_a_bad_env_file_line_names_the_file_and_line(tmp_path):
    env_file = write(tmp_path, "COOPWATCH_CHANNEL_A=json://h/x\nthis is not a setting\n", "channels.env")
    with pytest.raises(ChannelError, match=r"channels.env:2: expected NAME=value"):
        read_env_file(env_file)


def test_rules_saved_in_the_database_validate_and_behave_like_file_rules(sqlite_store, make_runner, tmp_path):
    with pytest.raises(RuleError, match="alerts database: rule 'x': unknown key 'colour'"):
        parse_rule({"name": "x", "search": {"text": "y"}, "channels": ["hook"], "colour": 1}, "alerts database")
    index(sqlite_store, report("sym", "Shanghai–Hong Kong Symposium"))
    with WebhookReceiver() as hook:
        runner = make_runner(sqlite_store, rules="rules: []\n", env={"COOPWATCH_CHANNEL_HOOK": hook.apprise_url()})
        saved = runner.store.save_rule(parse_rule({"name": "saved", "search": {"pair": ["Shanghai", "Hong Kong"]},
                                                   "channels": ["hook"]}, "web page"))
        assert saved.origin == "alerts database"
        assert [r.name for r in runner.rules()] == ["saved"]
        runner.run()
        runner.run()
    assert len(hook.received) == 1


def test_a_rule_name_used_by_the_file_cannot_be_saved_in_the_database(tmp_path):
    with AlertStore(str(tmp_path / "a.sqlite")) as store:
        rule = parse_rule({"name": "gba", "search": {"text": "x"}, "channels": ["c"]}, "web page")
        with pytest.raises(RuleError, match="already used by the rules file"):
            store.save_rule(rule, taken={"gba"})
