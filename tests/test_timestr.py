import pytest

from hpo_mab.inputs.errors import InputError
from hpo_mab.inputs.timestr import budget_dirname, format_seconds, parse_seconds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("3600", 3600),
        ("45s", 45),
        ("30m", 1800),
        ("12h", 43200),
        ("1.5h", 5400),
        ("1d", 86400),
        ("1w", 604800),
        ("2H", 7200),
        (" 10m ", 600),
        (90, 90),
        (0.5, 0.5),
        ("1e3", 1000),
        ("1.5e3s", 1500),
        ("1h30m", 5400),
        ("2d12h", 216000),
        ("1d02h03m", 93780),
        ("2m05s", 125),
    ],
)
def test_time_strings(text, seconds):
    assert parse_seconds(text) == seconds


@pytest.mark.parametrize(
    "text", ["12x", "h", "-1h", "0", "0h", "1e", "", "1.5.h", "12 hours", "1h30", "1" * 4000 + "x", "1h" * 2000 + "x"]
)
def test_bad_time_strings_name_the_option(text):
    with pytest.raises(InputError) as err:
        parse_seconds(text, "-et/--exp_time")
    assert err.value.line().startswith("-et/--exp_time: expected")


def test_budget_dirname_and_format():
    assert budget_dirname(43200) == "T43200S"
    assert budget_dirname(5400.5) == "T5400.5S"
    assert format_seconds(41.23) == "41.2s"
    assert format_seconds(3723) == "1h02m"
    assert format_seconds(90061) == "1d01h01m"
    assert format_seconds(125) == "2m05s"


@pytest.mark.parametrize("seconds", [125, 3720, 90060, 43200, 7 * 86400 + 60])  # above an hour it prints minutes
def test_what_format_seconds_prints_is_read_back(seconds):
    assert parse_seconds(format_seconds(seconds)) == seconds
