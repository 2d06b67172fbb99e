import pytest

from shop.config import ConfigError, load_config


@pytest.mark.parametrize(("raw", "expected"), [(None, "automatic"), ("", "automatic"),
                                               ("manual", "manual"), (" Manual ", "manual"),
                                               ("automatic", "automatic")])
def test_capture_method_is_read_strictly(monkeypatch, raw, expected):
    if raw is None:
        monkeypatch.delenv("CAPTURE_METHOD", raising=False)
    else:
        monkeypatch.setenv("CAPTURE_METHOD", raw)
    assert load_config({"SHOP_ENV": "testing"})["CAPTURE_METHOD"] == expected


@pytest.mark.parametrize("raw", ["auto", "later", "1"])
def test_an_unknown_capture_method_stops_the_app(monkeypatch, raw):
    monkeypatch.setenv("CAPTURE_METHOD", raw)
    with pytest.raises(ConfigError, match="CAPTURE_METHOD must be one of automatic, manual"):
        load_config({"SHOP_ENV": "testing"})


def test_stuck_minutes_must_be_a_positive_integer(monkeypatch):
    monkeypatch.setenv("RECONCILE_STUCK_MINUTES", "0")
    with pytest.raises(ConfigError):
        load_config({"SHOP_ENV": "testing"})
    monkeypatch.setenv("RECONCILE_STUCK_MINUTES", "30")
    assert load_config({"SHOP_ENV": "testing"})["RECONCILE_STUCK_MINUTES"] == 30
