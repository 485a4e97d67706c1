"""Settings layers: defaults < config file < COOPWATCH_* environment < explicit options."""

import pytest

from ingest.settings import ConfigError, Settings


def test_layers_in_order(tmp_path):
    config = tmp_path / "coopwatch.yaml"
    config.write_text("min_delay: 2.5\nretries: 4\n", encoding="utf-8")
    env = {"COOPWATCH_RETRIES": "1", "COOPWATCH_ALLOW_HOSTS": "127.0.0.1, 10.0.0.0/8"}
    settings = Settings.load(str(config), env=env, store="x.sqlite")
    assert settings.min_delay == 2.5  # file over default
    assert settings.retries == 1  # env over file
    assert settings.allow_hosts == ["127.0.0.1", "10.0.0.0/8"]  # comma-separated list
    assert settings.store == "x.sqlite"  # option over all


def test_unknown_setting_names_file_and_line(tmp_path):
    config = tmp_path / "coopwatch.yaml"
    config.write_text("min_delay: 1\nmin_dealy: 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"coopwatch.yaml:2: unknown setting 'min_dealy'"):
        Settings.load(str(config), env={})


def test_bad_value_names_line_and_env_alternative(tmp_path):
    config = tmp_path / "coopwatch.yaml"
    config.write_text("retries: -3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"coopwatch.yaml:1: retries: .*COOPWATCH_RETRIES"):
        Settings.load(str(config), env={})


def test_bad_environment_value_names_the_variable():
    with pytest.raises(ConfigError, match=r"environment variable COOPWATCH_MIN_DELAY='abc': "):
        Settings.load(env={"COOPWATCH_MIN_DELAY": "abc"})


def test_allow_hosts_entries_are_checked():
    with pytest.raises(ConfigError, match=r"COOPWATCH_ALLOW_HOSTS=.*'10.0.0.0/33' is not a network"):
        Settings.load(env={"COOPWATCH_ALLOW_HOSTS": "127.0.0.1,10.0.0.0/33"})
    ok = Settings.load(env={"COOPWATCH_ALLOW_HOSTS": "127.0.0.1,::1,10.0.0.0/8,demo.local,[::1]"})
    assert len(ok.allow_hosts) == 5
