"""The IKM of PermenPANRB 14/2017 against figures computed by hand (arithmetic in the comments):
skipped elements, the mutu bands and their printed gaps, no answers, one answer, an unanswered element,
and the period/service/channel selection on a real SQLite database."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

import office.models  # noqa: F401
from office.db import Base, get_engine, session_scope
from office.survey.ikm import classify, compute_ikm, ikm_by, ikm_for_period, round_half_up, target_sample_size
from office.survey.models import SurveyResponse

# Four responses, some elements skipped (None).
FOUR = [
    [4, 4, 3, 3, 4, 3, 4, 2, 3],
    [3, 3, 3, 4, 4, 3, 4, None, 3],
    [4, 3, 2, 4, 3, 4, 4, 3, None],
    [3, 4, 3, 4, None, 3, 3, 3, 4],
]


def test_four_responses_with_skipped_elements() -> None:
    r = compute_ikm(FOUR, target_sample=10)
    # u1 4+3+4+3 = 14 / 4 = 3.5          u2 4+3+3+4 = 14 / 4 = 3.5       u3 3+3+2+3 = 11 / 4 = 2.75
    # u4 3+4+4+4 = 15 / 4 = 3.75         u5 4+4+3   = 11 / 3 (R4 skipped) u6 3+3+4+3 = 13 / 4 = 3.25
    # u7 4+4+4+3 = 15 / 4 = 3.75         u8 2+3+3   =  8 / 3 (R2 skipped) u9 3+3+4   = 10 / 3 (R3 skipped)
    expected = [Fraction(14, 4), Fraction(14, 4), Fraction(11, 4), Fraction(15, 4), Fraction(11, 3),
                Fraction(13, 4), Fraction(15, 4), Fraction(8, 3), Fraction(10, 3)]
    assert [e.nrr for e in r.elements] == expected
    assert [e.answered for e in r.elements] == [4, 4, 4, 4, 3, 4, 4, 3, 3]
    assert [e.total for e in r.elements] == [14, 14, 11, 15, 11, 13, 15, 8, 10]
    # weighted NRR = NRR / 9, e.g. u1 3.5 / 9 = 0.3889
    assert r.elements[0].weighted == Fraction(7, 18)
    assert round_half_up(r.elements[0].weighted, 3) == Decimal("0.389")
    # sum NRR = 3.5+3.5+2.75+3.75+3.25+3.75 (= 20.5) + (11+8+10)/3 (= 29/3) = 181/6; IKM = 181/6 / 9 = 181/54
    assert r.ikm == Fraction(181, 54)
    assert r.ikm_display() == Decimal("3.3519")
    # converted = 181/54 * 25 = 4525/54 = 83.796... -> 83.80, in 76.61-88.30: B Baik
    assert r.converted == Fraction(4525, 54)
    assert r.converted_display() == Decimal("83.80")
    assert (r.mutu, r.kinerja) == ("B", "Baik")
    assert r.responses == 4 and r.below_target and r.status_text() == ""
    assert r.elements[0].name == "Persyaratan" and r.elements[7].name.startswith("Penanganan Pengaduan")


@pytest.mark.parametrize("value,mutu", [
    ("100", "A"), ("88.31", "A"), ("88.305", "A"),       # 88.305 rounds half-up to 88.31
    ("88.30", "B"), ("88.3049", "B"), ("76.61", "B"), ("76.605", "B"),
    ("76.60", "C"), ("76.6049", "C"), ("65.00", "C"), ("64.995", "C"),  # 64.995 -> 65.00
    ("64.99", "D"), ("64.9949", "D"), ("25", "D"),
])
def test_mutu_bands_and_the_gaps_between_printed_bounds(value: str, mutu: str) -> None:
    assert classify(Decimal(value))[0] == mutu


def test_kinerja_words() -> None:
    assert classify(Decimal("90")) == ("A", "Sangat Baik")
    assert classify(Decimal("80")) == ("B", "Baik")
    assert classify(Decimal("70")) == ("C", "Kurang Baik")
    assert classify(Decimal("50")) == ("D", "Tidak Baik")


def test_exact_boundary_from_answers() -> None:
    # 3 responses all 3 (27 points each) + 2 responses all 2 (18 each): every NRR = (3+3+3+2+2)/5 = 13/5 = 2.6
    # IKM = 9 * 2.6 / 9 = 2.6; converted = 65.00 exactly: C (not D)
    r = compute_ikm([[3] * 9] * 3 + [[2] * 9] * 2)
    assert r.ikm == Fraction(13, 5) and r.converted == 65 and r.mutu == "C"


def test_perfect_and_worst_scores_use_the_exact_weight() -> None:
    # 1/9, not the printed 0,111: all 4s give 4 * 9 * 1/9 * 25 = 100.00 (0,111 would give 99,90)
    assert compute_ikm([[4] * 9]).converted_display() == Decimal("100.00")
    assert compute_ikm([[1] * 9]).converted_display() == Decimal("25.00")
    assert compute_ikm([[1] * 9]).mutu == "D"


def test_one_response() -> None:
    # 4 + 8 * 3 = 28; IKM = 28 / 9 = 3.1111; converted = 700 / 9 = 77.777... -> 77.78: B
    r = compute_ikm([[4, 3, 3, 3, 3, 3, 3, 3, 3]])
    assert r.responses == 1
    assert r.ikm == Fraction(28, 9)
    assert r.converted_display() == Decimal("77.78") and r.mutu == "B"


def test_no_responses_gives_no_index() -> None:
    r = compute_ikm([], target_sample=5)
    assert r.responses == 0 and r.ikm is None and r.converted is None and r.mutu is None
    assert r.converted_display() is None and r.below_target
    assert "Belum ada survei" in r.status_text()


def test_an_element_nobody_answered_blocks_the_index() -> None:
    r = compute_ikm([[4, 4, 4, None, 4, 4, 4, 4, 4], [3, 3, 3, None, 3, 3, 3, 3, None]])
    assert r.missing == ("u4",)
    assert r.ikm is None and r.mutu is None
    assert r.elements[8].nrr == Fraction(4, 1)  # u9 still has one answer
    assert "U4 Biaya/Tarif" in r.status_text()


def test_bad_scores_are_refused() -> None:
    with pytest.raises(ValueError):
        compute_ikm([[5, 4, 4, 4, 4, 4, 4, 4, 4]])
    with pytest.raises(ValueError):
        compute_ikm([[4, 4, 4]])


def test_target_sample_scales_with_months() -> None:
    monthly = target_sample_size()
    assert monthly > 0
    assert target_sample_size(dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == monthly
    assert target_sample_size(dt.date(2026, 3, 10), dt.date(2026, 3, 20)) == monthly
    assert target_sample_size(dt.date(2026, 1, 1), dt.date(2026, 3, 31)) == 3 * monthly


# ---- from the database ------------------------------------------------------------------------
@pytest.fixture()
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    Base.metadata.create_all(get_engine(url))
    return url


def _response(day: dt.date, scores: list[int | None], status: str = "completed", service: str = "PASPOR_BARU",
              channel: str = "whatsapp", comment: str | None = None) -> SurveyResponse:
    row = SurveyResponse(event_kind="visit", service_code=service, channel=channel, status=status,
                         period_day=day if status == "completed" else None, comment=comment,
                         started_at=dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc), position=9)
    for i, score in enumerate(scores, 1):
        setattr(row, f"u{i}", score)
    return row


def test_period_service_and_channel_selection(db_url: str) -> None:
    march = dt.date(2026, 3, 10)
    with session_scope(db_url) as s:
        s.add_all([_response(march, FOUR[0]), _response(march, FOUR[1]),
                   _response(march, FOUR[2], channel="telegram"), _response(march, FOUR[3], service="ITK"),
                   _response(march, [1] * 9, status="in_progress"),          # not completed: left out
                   _response(dt.date(2026, 4, 1), [1] * 9),                  # next month: left out
                   _response(dt.date(2026, 2, 28), [1] * 9)])                # previous month: left out
    with session_scope(db_url) as s:
        r = ikm_for_period(s, dt.date(2026, 3, 1), dt.date(2026, 3, 31), target_sample=3)
        assert r.responses == 4 and r.converted == Fraction(4525, 54) and not r.below_target
        by_channel = ikm_by(s, dt.date(2026, 3, 1), dt.date(2026, 3, 31), "channel")
        assert list(by_channel) == ["telegram", "whatsapp"]
        assert by_channel["telegram"].responses == 1
        # telegram: R3 alone skipped u9 -> no index for that channel
        assert by_channel["telegram"].missing == ("u9",)
        # whatsapp R1, R2, R4: u1 (4+3+3)/3, u2 (4+3+4)/3, u3 (3+3+3)/3, u4 (3+4+4)/3, u5 (4+4)/2,
        # u6 (3+3+3)/3, u7 (4+4+3)/3, u8 (2+3)/2, u9 (3+3+4)/3
        # sum = 10/3+11/3+3+11/3+4+3+11/3+5/2+10/3 = (10+11+11+11+10)/3 + 12.5 = 53/3 + 25/2 = 181/6
        assert by_channel["whatsapp"].ikm == Fraction(181, 54)
        by_service = ikm_by(s, dt.date(2026, 3, 1), dt.date(2026, 3, 31), "service_code")
        assert {k: v.responses for k, v in by_service.items()} == {"ITK": 1, "PASPOR_BARU": 3}
        only_itk = ikm_for_period(s, dt.date(2026, 3, 1), dt.date(2026, 3, 31), service_code="ITK")
        assert only_itk.missing == ("u5",)
