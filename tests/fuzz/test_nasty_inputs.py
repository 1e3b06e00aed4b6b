"""A table of hand-made hostile inputs for every parser: plans, events, profiles.

Each case must end in success or a library error (a ``SocialCommerceError``),
never another exception, within ``BUDGET_SECONDS``; cases marked ``refused``
must be refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from socialcommerce_rules import Plan
from socialcommerce_rules.compliance import profile_from_text
from socialcommerce_rules.events import event_from_json
from socialcommerce_rules.limits import EVENT_LINE_BYTES_MAX, PLAN_BYTES_MAX

from ._support import EVENT_LINES, PLAN_JSON, PLAN_TOML, only_typed_errors

RATE_TOML = 'maker = "0.05"'
RATE_JSON = '"maker": "0.05"'
DATE = "2026-01-02T09:00:00+08:00"
JOIN = EVENT_LINES[0]
PAY = EVENT_LINES[2]
PRICE = '"399.00"'
BIG = "9" * 4301

NOT_FINITE_LITERALS_TOML = ("nan", "+nan", "-nan", "inf", "+inf", "-inf")
NOT_FINITE_LITERALS_JSON = ("NaN", "Infinity", "-Infinity", "-NaN", "+Infinity", "nan", "inf")
NOT_FINITE_STRINGS = (
    "nan", "NaN", "NAN", "nAn", "-nan", "+NaN", "snan", "sNaN", "-sNaN", "qNaN",
    "inf", "Inf", "INF", "-inf", "+inf", "infinity", "Infinity", "INFINITY", "-Infinity",
    "iNfInItY", "∞", "-∞",
)  # fmt: skip
ODD_DIGITS = (
    "٠.٠٥",  # Arabic-Indic
    "۰.۰۵",  # Extended Arabic-Indic
    "０.０５",  # fullwidth
    "०.०५",  # Devanagari
    "𝟎.𝟎𝟓",  # mathematical bold
    "⁰.⁰⁵",  # superscripts
    "0٫05",  # Arabic decimal separator
    "0.0\u0665",  # one Arabic-Indic digit
    "0.05\u200b",  # zero-width space
    " 0.05",
    "0.05\n",
    "0.05\x00",
    "0,05",
    "0_05",
    "0x1",
    "1e-2",
    "5E-2",
    ".05",
    "05.",
    "+0.05",
    "--0.05",
    "0.05" + "0" * 60,
)  # fmt: skip
HUGE_EXPONENTS = (
    "1e999999999", "1E-999999999", "0e-999999999", "1e+2147483648", "9.9e999", "-1e999999",
)  # fmt: skip


def _cases() -> Iterator[tuple[str, str, object, bool]]:
    """(id, kind, payload, refused)."""
    # Plans, TOML.
    for literal in NOT_FINITE_LITERALS_TOML:
        yield (
            f"toml-literal-{literal}",
            "plan-toml",
            PLAN_TOML.replace(RATE_TOML, f"maker = {literal}"),
            True,
        )
    for text in (*NOT_FINITE_STRINGS, *ODD_DIGITS, *HUGE_EXPONENTS):
        yield (
            f"toml-rate-{text!r}",
            "plan-toml",
            PLAN_TOML.replace(RATE_TOML, f"maker = {json.dumps(text)}"),
            True,
        )
        yield (
            f"toml-amount-{text!r}",
            "plan-toml",
            PLAN_TOML.replace('"399.00"', json.dumps(text)),
            True,
        )
    for literal in HUGE_EXPONENTS:
        yield (
            f"toml-float-{literal}",
            "plan-toml",
            PLAN_TOML.replace(RATE_TOML, f"maker = {literal}"),
            True,
        )
    for key, old in (
        ("rate", RATE_TOML),
        ("version", "version = 1"),
        ("max-depth", "max_depth = 2"),
        ("rank", "rank = 0"),
    ):
        name = old.split(" =")[0]
        yield (
            f"toml-{key}-4301-digits",
            "plan-toml",
            PLAN_TOML.replace(old, f"{name} = {BIG}", 1),
            True,
        )
        yield (
            f"toml-{key}-minus-4301-digits",
            "plan-toml",
            PLAN_TOML.replace(old, f"{name} = -{BIG}", 1),
            True,
        )
        yield (
            f"toml-{key}-octal-20000-digits",
            "plan-toml",
            PLAN_TOML.replace(old, f"{name} = 0o{'7' * 20000}", 1),
            True,
        )
        yield (
            f"toml-{key}-binary-60000-digits",
            "plan-toml",
            PLAN_TOML.replace(old, f"{name} = 0b{'1' * 60000}", 1),
            True,
        )
        yield (
            f"toml-{key}-underscored",
            "plan-toml",
            PLAN_TOML.replace(old, f"{name} = 1_{'0_' * 3000}0", 1),
            True,
        )
    yield (
        "toml-rate-hex-250000-digits",
        "plan-toml",
        PLAN_TOML.replace(RATE_TOML, f"maker = 0x{'f' * 250_000}"),
        True,
    )
    yield "toml-deep-arrays", "plan-toml", "x = " + "[" * 100_000 + "]" * 100_000, True
    yield "toml-deep-inline-tables", "plan-toml", "x = " + "{a=" * 3000 + "1" + "}" * 3000, True
    yield "toml-deep-dotted-key", "plan-toml", "a" + ".a" * 12_000 + " = 1", True
    yield "toml-deep-table-header", "plan-toml", "[" + ".".join(["a"] * 40_000) + "]", True
    yield (
        "toml-duplicate-key",
        "plan-toml",
        PLAN_TOML.replace("max_depth = 2", "max_depth = 2\nmax_depth = 2"),
        True,
    )
    yield (
        "toml-duplicate-table",
        "plan-toml",
        PLAN_TOML + "\n[base]\ninclude_shipping = true\n",
        True,
    )
    yield (
        "toml-duplicate-inline-key",
        "plan-toml",
        PLAN_TOML.replace(RATE_TOML, 'maker = "0.05", maker = "0.05"'),
        True,
    )
    yield "toml-bom", "plan-toml", "\ufeff" + PLAN_TOML, True
    yield (
        "toml-nul-in-id",
        "plan-toml",
        PLAN_TOML.replace('"article-scheme"', '"article\\u0000scheme"'),
        True,
    )
    yield "toml-raw-nul", "plan-toml", PLAN_TOML.replace("# The guide", "#\x00 The guide"), True
    yield (
        "toml-raw-control",
        "plan-toml",
        PLAN_TOML.replace('"article-scheme"', '"article\x01scheme"'),
        True,
    )
    yield (
        "toml-escape-control",
        "plan-toml",
        PLAN_TOML.replace('"article-scheme"', '"article\\u001fscheme"'),
        True,
    )
    yield "toml-del-in-sku", "plan-toml", PLAN_TOML.replace('"GIFT-399"', '"GIFT\\u007f399"'), True
    yield (
        "toml-rtl-override-in-description",
        "plan-toml",
        PLAN_TOML.replace('description = "Guide', 'description = "\\u202eGuide'),
        False,
    )
    yield (
        "toml-lone-surrogate-escape",
        "plan-toml",
        PLAN_TOML.replace('description = "Guide', 'description = "\\ud800Guide'),
        True,
    )
    yield (
        "toml-huge-string",
        "plan-toml",
        PLAN_TOML.replace('description = "Guide', 'description = "' + "x" * 900_000),
        True,
    )
    yield "toml-oversize", "plan-toml", PLAN_TOML + "#" * PLAN_BYTES_MAX, True
    yield (
        "toml-date-year-1",
        "plan-toml",
        PLAN_TOML.replace("2026-01-01T00:00:00+08:00", "0001-01-01T00:00:00+08:00"),
        False,
    )
    yield (
        "toml-date-year-9999",
        "plan-toml",
        PLAN_TOML.replace("2026-01-01T00:00:00+08:00", "9999-12-31T23:59:59-14:00"),
        False,
    )
    yield (
        "toml-date-month-13",
        "plan-toml",
        PLAN_TOML.replace("2026-01-01T00:00:00+08:00", "2026-13-01T00:00:00+08:00"),
        True,
    )
    yield (
        "toml-date-native",
        "plan-toml",
        PLAN_TOML.replace('"2026-01-01T00:00:00+08:00"', "2026-01-01T00:00:00+08:00"),
        False,
    )
    yield (
        "toml-date-naive",
        "plan-toml",
        PLAN_TOML.replace('"2026-01-01T00:00:00+08:00"', "2026-01-01T00:00:00"),
        True,
    )
    yield (
        "toml-date-as-number",
        "plan-toml",
        PLAN_TOML.replace('"2026-01-01T00:00:00+08:00"', "1e308"),
        True,
    )
    yield "toml-empty", "plan-toml", "", True
    yield "toml-only-bom", "plan-toml", "\ufeff", True
    # Plans, JSON.
    for literal in NOT_FINITE_LITERALS_JSON:
        yield (
            f"json-literal-{literal}",
            "plan-json",
            PLAN_JSON.replace(RATE_JSON, f'"maker": {literal}'),
            True,
        )
    for text in (*NOT_FINITE_STRINGS, *ODD_DIGITS, *HUGE_EXPONENTS):
        yield (
            f"json-rate-{text!r}",
            "plan-json",
            PLAN_JSON.replace(RATE_JSON, f'"maker": {json.dumps(text)}'),
            True,
        )
    for literal in HUGE_EXPONENTS:
        yield (
            f"json-float-{literal}",
            "plan-json",
            PLAN_JSON.replace(RATE_JSON, f'"maker": {literal}'),
            True,
        )
    for key, old in (
        ("rate", RATE_JSON),
        ("version", '"version": 1'),
        ("max-depth", '"max_depth": 2'),
    ):
        name = old.split(":")[0]
        yield (
            f"json-{key}-4301-digits",
            "plan-json",
            PLAN_JSON.replace(old, f"{name}: {BIG}", 1),
            True,
        )
        yield (
            f"json-{key}-100000-digits",
            "plan-json",
            PLAN_JSON.replace(old, f"{name}: {'9' * 100_000}", 1),
            True,
        )
        yield (
            f"json-{key}-4301-digit-fraction",
            "plan-json",
            PLAN_JSON.replace(old, f"{name}: 0.{BIG}", 1),
            True,
        )
        yield f"json-{key}-true", "plan-json", PLAN_JSON.replace(old, f"{name}: true", 1), True
    yield "json-deep-arrays", "plan-json", "[" * 100_000 + "]" * 100_000, True
    yield "json-deep-objects", "plan-json", '{"a":' * 100_000 + "1" + "}" * 100_000, True
    yield (
        "json-deep-in-description",
        "plan-json",
        PLAN_JSON.replace(
            '"description": "Guide', '"x": ' + "[" * 5000 + "]" * 5000 + ', "description": "Guide'
        ),
        True,
    )
    yield (
        "json-duplicate-top",
        "plan-json",
        PLAN_JSON.replace('"max_depth": 2', '"max_depth": 2, "max_depth": 3'),
        True,
    )
    yield (
        "json-duplicate-nested",
        "plan-json",
        PLAN_JSON.replace(RATE_JSON, RATE_JSON + ", " + RATE_JSON),
        True,
    )
    yield "json-bom", "plan-json", "\ufeff" + PLAN_JSON, True
    yield (
        "json-lone-surrogate",
        "plan-json",
        PLAN_JSON.replace('"description": "Guide', '"description": "\\ud800Guide'),
        False,
    )
    yield (
        "json-lone-surrogate-id",
        "plan-json",
        PLAN_JSON.replace('"id": "article-scheme"', '"id": "\\udfff"'),
        True,
    )
    yield (
        "json-nul-id",
        "plan-json",
        PLAN_JSON.replace('"id": "article-scheme"', '"id": "a\\u0000b"'),
        True,
    )
    yield "json-top-array", "plan-json", "[]", True
    yield "json-top-null", "plan-json", "null", True
    yield "json-top-number", "plan-json", BIG, True
    yield (
        "json-date-as-number",
        "plan-json",
        PLAN_JSON.replace('"2026-01-01T00:00:00+08:00"', "99999999999999999999"),
        True,
    )
    yield (
        "json-date-as-float",
        "plan-json",
        PLAN_JSON.replace('"2026-01-01T00:00:00+08:00"', "1e308"),
        True,
    )
    yield (
        "json-date-as-numeric-string",
        "plan-json",
        PLAN_JSON.replace('"2026-01-01T00:00:00+08:00"', '"1e308"'),
        True,
    )
    yield "json-oversize", "plan-json", PLAN_JSON + " " * PLAN_BYTES_MAX, True
    yield "json-empty", "plan-json", "", True
    # Events, one JSON line.
    for text in (*NOT_FINITE_STRINGS, *ODD_DIGITS, *HUGE_EXPONENTS):
        yield f"event-price-{text!r}", "event-json", PAY.replace(PRICE, json.dumps(text)), True
    for literal in (*NOT_FINITE_LITERALS_JSON, *HUGE_EXPONENTS, BIG, "-" + BIG, "0." + BIG):
        yield f"event-price-literal-{literal[:12]}", "event-json", PAY.replace(PRICE, literal), True
        yield (
            f"event-quantity-literal-{literal[:12]}",
            "event-json",
            PAY.replace('"unit_price"', f'"quantity": {literal}, "unit_price"'),
            True,
        )
    for text in ("２", "٢", "0x10", "1e3", "1.0", "", " 1", "true"):
        yield (
            f"event-quantity-{text!r}",
            "event-json",
            PAY.replace('"unit_price"', f'"quantity": {json.dumps(text)}, "unit_price"'),
            True,
        )
    for date in (
        "0001-01-01T00:00:00+08:00",
        "9999-12-31T23:59:59-14:00",
        "2026-02-30T00:00:00+08:00",
        "2026-01-02T09:00:00",
        "2026-01-02T24:00:00+08:00",
        "2026-01-02T09:00:00+25:00",
        "+275760-09-13T00:00:00Z",
        "1e999",
        "",
        "２０２６-01-02T09:00:00+08:00",
    ):
        yield (
            f"event-date-{date!r}",
            "event-json",
            JOIN.replace(DATE, date),
            date.startswith(("0001", "9999")) is False,
        )
    for literal in ("1e999", BIG, "-1", "99999999999999999999", "NaN"):
        yield (
            f"event-date-literal-{literal[:12]}-{len(literal)}",
            "event-json",
            JOIN.replace(f'"{DATE}"', literal),
            # A number of seconds is read as a Unix time: accepted, if in range.
            literal != "-1",
        )
    yield "event-deep", "event-json", '{"a":' * 100_000 + "1" + "}" * 100_000, True
    yield (
        "event-deep-order",
        "event-json",
        PAY.replace('"currency": "CNY"', '"currency": ' + "[" * 10_000 + "]" * 10_000),
        True,
    )
    yield (
        "event-duplicate-key",
        "event-json",
        JOIN.replace('"role": "guide"', '"role": "guide", "role": "maker"'),
        True,
    )
    yield (
        "event-duplicate-nested-key",
        "event-json",
        PAY.replace('"sku": "GIFT-399"', '"sku": "GIFT-399", "sku": "X"'),
        True,
    )
    yield "event-bom", "event-json", "\ufeff" + JOIN, True
    yield "event-nul-id", "event-json", JOIN.replace('"join-guide-li"', '"join\\u0000li"'), True
    yield "event-control-id", "event-json", JOIN.replace('"join-guide-li"', '"join\\u001bli"'), True
    yield (
        "event-lone-surrogate-id",
        "event-json",
        JOIN.replace('"join-guide-li"', '"\\ud800"'),
        False,
    )
    yield (
        "event-unknown-type",
        "event-json",
        JOIN.replace("participant_joined", "participant_joined\\u0000"),
        True,
    )
    yield "event-top-list", "event-json", "[" + JOIN + "]", True
    yield "event-top-string", "event-json", json.dumps(JOIN), True
    yield (
        "event-oversize",
        "event-json",
        JOIN[:-1] + ', "x": "' + "a" * EVENT_LINE_BYTES_MAX + '"}',
        True,
    )
    yield (
        "event-items-huge-list",
        "event-json",
        PAY.replace('"items": [', '"items": [' + "{}, " * 20_000),
        True,
    )
    # Profiles.
    profile = (
        Path(__file__).parents[2]
        / "src"
        / "socialcommerce_rules"
        / "data"
        / "profiles"
        / "cn-anti-pyramid.toml"
    ).read_text(encoding="utf-8")
    for literal in (*NOT_FINITE_LITERALS_TOML, BIG, f"0x{'f' * 50_000}", "1e999999999"):
        yield (
            f"profile-share-{literal[:12]}",
            "profile-toml",
            profile.replace('max_observed_share = "0"', f"max_observed_share = {literal}"),
            True,
        )
        yield (
            f"profile-level-{literal[:12]}",
            "profile-toml",
            profile.replace("max_level = 1 ", f"max_level = {literal} "),
            True,
        )
    for text in (*NOT_FINITE_STRINGS, *ODD_DIGITS):
        yield (
            f"profile-share-{text!r}",
            "profile-toml",
            profile.replace('max_observed_share = "0"', f"max_observed_share = {json.dumps(text)}"),
            True,
        )
    yield "profile-deep", "profile-toml", profile + "x = " + "[" * 100_000 + "]" * 100_000, True
    yield "profile-duplicate", "profile-toml", profile + '\nname = "again"\n', True
    yield "profile-bom", "profile-toml", "\ufeff" + profile, True
    yield "profile-oversize", "profile-toml", profile + "#" * PLAN_BYTES_MAX, True


CASES = list(_cases())
PARSERS: dict[str, Callable[[str], object]] = {
    "plan-toml": Plan.from_toml,
    "plan-json": Plan.from_json,
    "event-json": event_from_json,
    "profile-toml": profile_from_text,
}


def test_the_case_ids_are_unique() -> None:
    ids = [case_id for case_id, _, _, _ in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("kind", "text", "refused"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_a_nasty_input_gets_a_typed_error_in_time(kind: str, text: str, refused: bool) -> None:
    error = only_typed_errors(lambda: PARSERS[kind](text))

    if refused:
        assert error is not None, "accepted"
