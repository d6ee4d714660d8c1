"""The dashboards' content: each chart with the table and CSV export built from the same rows.

Why one `Block` per chart: the chart, the table under it and the CSV download must show the same
numbers, so each block's rows are computed once (rounded once, for display) and all three are drawn
from them. The figures come from office.reports (no SQL here).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Sequence

from markupsafe import Markup
from sqlalchemy.orm import Session

from office.reports.complaints import ComplaintReport, complaint_report
from office.reports.conversations import ConversationReport, channel_label, conversation_report
from office.reports.knowledge import OUTCOME_LABELS, KnowledgeReport, UnansweredSummary, knowledge_report, open_unanswered
from office.reports.period import Period
from office.reports.satisfaction import SatisfactionReport, satisfaction_report
from office.reports.visits import BOOKING_STATE_LABELS, BOOKING_STATES, VisitReport, visit_report
from office.survey.ikm import BANDS, IkmResult, round_half_up

from backoffice.charts import Band, Series, column_chart, data_value, hbar_chart, line_chart, number_text

Cell = int | Decimal | str | None


@dataclass
class Block:
    """A chart and its data: `rows` hold exactly the numbers the chart draws."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    svg: Markup
    note: str = ""


@dataclass
class Section:
    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Dashboard:
    period: Period
    satisfaction: SatisfactionReport
    conversations: ConversationReport
    knowledge: KnowledgeReport
    unanswered: list[UnansweredSummary]
    unanswered_groups: int
    visits: VisitReport
    complaints: ComplaintReport
    sections: list[Section]

    def block(self, key: str) -> Block | None:
        return next((b for s in self.sections for b in s.blocks if b.key == key), None)

    def kpis(self) -> list[tuple[str, str]]:
        """The key figures of the period (label, value as shown)."""
        ikm = self.satisfaction.overall
        share = percent(self.knowledge.answered_share)
        wait = minutes(self.visits.wait.mean_minutes)
        first = percent(self.complaints.first_response.rate)
        return [
            ("IKM", f"{cell_text(ikm.converted_display())}" + (f" ({ikm.mutu})" if ikm.mutu else "")),
            ("Responden survei", cell_text(ikm.responses)),
            ("Percakapan", cell_text(self.conversations.total)),
            ("Alih ke petugas", f"{cell_text(percent(self.conversations.handoff_rate))}%"
             if self.conversations.handoff_rate is not None else "-"),
            ("Terjawab basis pengetahuan", f"{cell_text(share)}%" if share is not None else "-"),
            ("Booking", cell_text(self.visits.bookings)),
            ("Rata-rata tunggu", f"{cell_text(wait)} menit" if wait is not None else "-"),
            ("Pengaduan", cell_text(self.complaints.total)),
            ("Tanggapan tepat waktu", f"{cell_text(first)}%" if first is not None else "-"),
            ("Tiket lewat tenggat", cell_text(len(self.complaints.overdue))),
        ]


def percent(value: Fraction | None) -> Decimal | None:
    """A share as a percentage with one decimal (half-up)."""
    return round_half_up(value * 100, 1) if value is not None else None


def minutes(value: Fraction | None) -> Decimal | None:
    return round_half_up(value, 1) if value is not None else None


def converted(result: IkmResult) -> Decimal | None:
    return result.converted_display()


def _day_label(period: Period, day: dt.date) -> str:
    return str(day.day) if period.start.month == period.end.month and period.start.year == period.end.year \
        else f"{day.day}/{day.month}"


# ------------------------------------------------------------------------------------------------
# sections
# ------------------------------------------------------------------------------------------------
def satisfaction_blocks(report: SatisfactionReport) -> list[Block]:
    months = report.months
    trend_rows: list[list[Cell]] = [[m.label, m.result.responses, converted(m.result), m.result.mutu or ""]
                                    for m in months]
    lows = sorted(BANDS)  # the official mutu ranges, D first
    colours = {"D": "#fde8e8", "C": "#fff4d6", "B": "#e6f0fa", "A": "#e5f4ea"}
    bands = [Band(float(low), float(lows[i + 1][0]) if i + 1 < len(lows) else 100.0, mutu, colours.get(mutu, "#eee"))
             for i, (low, mutu, _) in enumerate(lows)]
    trend = line_chart("IKM per bulan (nilai konversi 25–100)",
                       "Garis nilai IKM konversi tiap bulan selama 12 bulan terakhir, dengan rentang mutu A–D.",
                       [m.label for m in months], [Series("IKM", [r[2] for r in trend_rows])],
                       y_min=25, y_max=100, ticks=(25, 50, 75, 100), bands=bands, empty="Belum ada survei dalam 12 bulan terakhir")
    overall = report.overall
    element_rows: list[list[Cell]] = []
    for e in overall.elements:
        element_rows.append([e.key.upper(), e.name, e.answered, e.total,
                             round_half_up(e.nrr, 3) if e.nrr is not None else None,
                             round_half_up(e.weighted, 3) if e.weighted is not None else None])
    elements = hbar_chart("Nilai rata-rata (NRR) per unsur, skala 1–4",
                          "Batang NRR tiap unsur pelayanan pada periode ini; nilai maksimum 4.",
                          [(f"{r[0]} {r[1]}", r[4]) for r in element_rows if r[2]], places=3, max_value=4,
                          empty="Belum ada jawaban pada periode ini")
    service_rows: list[list[Cell]] = [[g.label, g.result.responses, converted(g.result), g.result.mutu or ""]
                                      for g in report.by_service]
    channel_rows: list[list[Cell]] = [[g.label, g.result.responses, converted(g.result), g.result.mutu or ""]
                                      for g in report.by_channel]
    per_service = hbar_chart("IKM per layanan", "Nilai IKM konversi tiap layanan pada periode ini.",
                             [(f"{r[0]} (n={r[1]})", r[2]) for r in service_rows], places=2, max_value=100)
    per_channel = hbar_chart("IKM per kanal", "Nilai IKM konversi tiap kanal percakapan pada periode ini.",
                             [(f"{r[0]} (n={r[1]})", r[2]) for r in channel_rows], places=2, max_value=100)
    note = "Layanan/kanal dengan unsur yang belum dijawab tidak memiliki nilai IKM (tanda -)."
    return [
        Block("ikm_trend", "IKM per bulan", ["Bulan", "Responden", "IKM konversi", "Mutu"], trend_rows, trend),
        Block("ikm_elements", "NRR per unsur",
              ["Kode", "Unsur", "Jumlah jawaban", "Total nilai", "NRR", "NRR tertimbang"], element_rows, elements),
        Block("ikm_service", "IKM per layanan", ["Layanan", "Responden", "IKM konversi", "Mutu"], service_rows,
              per_service, note),
        Block("ikm_channel", "IKM per kanal", ["Kanal", "Responden", "IKM konversi", "Mutu"], channel_rows,
              per_channel, note),
    ]


def conversation_blocks(report: ConversationReport) -> list[Block]:
    period = report.period
    channels = list(report.channels)
    days = period.days()
    rows: list[list[Cell]] = [[d.isoformat(), *[report.on(d, c) for c in channels], report.day_total(d)] for d in days]
    chart = column_chart("Percakapan per hari dan kanal",
                         "Kolom bertumpuk: jumlah percakapan (warga berbeda per hari) tiap kanal.",
                         [_day_label(period, d) for d in days],
                         [Series(channel_label(c), [report.on(d, c) for d in days]) for c in channels],
                         empty=report.note or "Belum ada percakapan pada periode ini")
    handoff_rows: list[list[Cell]] = []
    for c in channels:
        total, asked = report.channel_total(c), report.channel_handoffs(c)
        handoff_rows.append([channel_label(c), total, asked, percent(Fraction(asked, total)) if total else None])
    handoff_rows.append(["Semua kanal", report.total, report.handoff_total, percent(report.handoff_rate)])
    handoff = hbar_chart("Tingkat alih ke petugas per kanal (%)",
                         "Persentase percakapan yang meminta bicara dengan petugas, per kanal dan seluruhnya.",
                         [(r[0], r[3]) for r in handoff_rows], places=1, unit="%", max_value=100,
                         empty="Belum ada percakapan pada periode ini")
    return [
        Block("conversations_daily", "Percakapan per hari dan kanal",
              ["Tanggal", *[channel_label(c) for c in channels], "Total"], rows, chart, report.note),
        Block("handoff_rate", "Alih ke petugas", ["Kanal", "Percakapan", "Minta petugas", "Persen"],
              handoff_rows, handoff),
    ]


def knowledge_blocks(report: KnowledgeReport) -> list[Block]:
    topic_rows: list[list[Cell]] = [[t.label, t.topic, t.count] for t in report.topics]
    topics = hbar_chart("Topik yang paling sering ditanyakan", "Jumlah jawaban basis pengetahuan per topik.",
                        [(r[0], r[2]) for r in topic_rows], empty="Belum ada pertanyaan terjawab")
    outcome_rows: list[list[Cell]] = [[OUTCOME_LABELS[o], report.outcomes[o]]
                                      for o in ("answered", "chosen", "clarified", "declined")]
    outcomes = hbar_chart("Hasil jawaban basis pengetahuan", "Jumlah pertanyaan menurut hasil jawabannya.",
                          [(r[0], r[1]) for r in outcome_rows], empty="Belum ada pertanyaan")
    return [
        Block("kb_topics", "Topik teratas", ["Topik", "Kode topik", "Jumlah"], topic_rows, topics),
        Block("kb_outcomes", "Hasil jawaban", ["Hasil", "Jumlah"], outcome_rows, outcomes,
              f"Terjawab dari basis pengetahuan: {number_text(percent(report.answered_share), 1)}% "
              f"({report.answered} dari {report.questions} pertanyaan)." if report.questions else ""),
    ]


def visit_blocks(report: VisitReport) -> list[Block]:
    period = report.period
    rows: list[list[Cell]] = [[d.day.isoformat(), *[getattr(d, s) for s in BOOKING_STATES], d.total]
                              for d in report.days]
    bookings = column_chart("Booking per hari kunjungan", "Kolom bertumpuk: booking hadir, tidak datang, dibatalkan "
                            "dan akan datang per hari.",
                            [_day_label(period, d.day) for d in report.days],
                            [Series(BOOKING_STATE_LABELS[s], [getattr(d, s) for d in report.days])
                             for s in BOOKING_STATES], empty="Belum ada booking pada periode ini")

    def time_rows(buckets: Sequence[Any]) -> list[list[Cell]]:
        return [[b.label, b.wait.count, minutes(b.wait.mean_minutes), b.service.count,
                 minutes(b.service.mean_minutes)] for b in buckets]

    hour_rows, weekday_rows = time_rows(report.by_hour), time_rows(report.by_weekday)
    columns = ["Waktu", "Dipanggil", "Rata-rata tunggu (menit)", "Dilayani", "Rata-rata layanan (menit)"]
    by_hour = column_chart("Waktu tunggu dan layanan per jam (menit)",
                           "Kolom berdampingan: rata-rata menit menunggu (menurut jam ambil nomor) dan menit "
                           "dilayani (menurut jam dipanggil).", [r[0] for r in hour_rows],
                           [Series("Tunggu", [r[2] for r in hour_rows]), Series("Layanan", [r[4] for r in hour_rows])],
                           stacked=False, places=1, unit=" mnt", empty="Belum ada nomor antrean yang dipanggil")
    by_day = column_chart("Waktu tunggu dan layanan per hari (menit)",
                          "Kolom berdampingan: rata-rata menit menunggu dan dilayani menurut hari dalam seminggu.",
                          [r[0][:3] for r in weekday_rows],
                          [Series("Tunggu", [r[2] for r in weekday_rows]),
                           Series("Layanan", [r[4] for r in weekday_rows])],
                          stacked=False, places=1, unit=" mnt", empty="Belum ada nomor antrean yang dipanggil")
    return [
        Block("bookings_daily", "Booking per hari", ["Tanggal", *[BOOKING_STATE_LABELS[s] for s in BOOKING_STATES],
                                                     "Total"], rows, bookings),
        Block("times_by_hour", "Waktu per jam", ["Jam", *columns[1:]], hour_rows, by_hour),
        Block("times_by_weekday", "Waktu per hari", ["Hari", *columns[1:]], weekday_rows, by_day),
    ]


def complaint_blocks(report: ComplaintReport) -> list[Block]:
    blocks = []
    for key, title, counts in (("complaints_category", "Pengaduan per kategori", report.by_category),
                               ("complaints_unit", "Pengaduan per unit", report.by_unit),
                               ("complaints_status", "Pengaduan per status", report.by_status)):
        rows: list[list[Cell]] = [[c.label, c.count] for c in counts]
        svg = hbar_chart(title, f"Jumlah tiket yang masuk pada periode ini, {title.split(' per ')[1]}.",
                         [(r[0], r[1]) for r in rows], empty="Belum ada pengaduan pada periode ini")
        blocks.append(Block(key, title, [title.split(" per ")[1].capitalize(), "Jumlah"], rows, svg))
    sla_rows: list[list[Cell]] = []
    for label, fig in (("Tanggapan pertama", report.first_response), ("Penyelesaian", report.resolution)):
        sla_rows.append([label, fig.on_time, fig.late, fig.pending, percent(fig.rate)])
    sla = column_chart("Kepatuhan SLA", "Kolom bertumpuk: tiket tepat waktu, terlambat dan belum jatuh tempo, untuk "
                       "tanggapan pertama dan penyelesaian.", [r[0] for r in sla_rows],
                       [Series("Tepat waktu", [r[1] for r in sla_rows]), Series("Terlambat", [r[2] for r in sla_rows]),
                        Series("Belum jatuh tempo", [r[3] for r in sla_rows])],
                       empty="Belum ada pengaduan pada periode ini")
    blocks.append(Block("complaints_sla", "Kepatuhan SLA",
                        ["Tahap", "Tepat waktu", "Terlambat", "Belum jatuh tempo", "Kepatuhan (%)"], sla_rows, sla))
    return blocks


def build_dashboard(session: Session, period: Period, *, url: str | None = None, now: dt.datetime,
                    tracker_engine: Any = None) -> Dashboard:
    """Every figure of the dashboards for `period` (as of `now`, office time)."""
    satisfaction = satisfaction_report(session, period)
    conversations = conversation_report(session, period, tracker_engine)
    knowledge = knowledge_report(session, period)
    unanswered, group_count = open_unanswered(url)
    visits = visit_report(session, period, now.date())
    complaints = complaint_report(session, period, now)
    sections = [
        Section("ikm", "Kepuasan masyarakat (IKM)", satisfaction_blocks(satisfaction)),
        Section("percakapan", "Percakapan dan alih ke petugas", conversation_blocks(conversations)),
        Section("pengetahuan", "Pertanyaan warga dan basis pengetahuan", knowledge_blocks(knowledge)),
        Section("kunjungan", "Booking dan antrean", visit_blocks(visits)),
        Section("pengaduan", "Pengaduan dan SLA", complaint_blocks(complaints)),
    ]
    return Dashboard(period=period, satisfaction=satisfaction, conversations=conversations, knowledge=knowledge,
                     unanswered=unanswered, unanswered_groups=group_count, visits=visits, complaints=complaints,
                     sections=sections)


def block_csv(block: Block) -> bytes:
    """The block's table as CSV: comma-separated, UTF-8 with a byte-order mark (Excel then reads the
    Indonesian letters right), numbers with a dot decimal exactly as the chart's data values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(block.columns)
    for row in block.rows:
        writer.writerow([data_value(c) if isinstance(c, (int, Decimal)) and not isinstance(c, bool) else
                         ("" if c is None else c) for c in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def cell_text(value: Cell) -> str:
    """A table cell for people: Indonesian number separators, '-' for no value."""
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return number_text(value, max(0, -value.as_tuple().exponent))  # type: ignore[operator]
    if isinstance(value, int) and not isinstance(value, bool):
        return number_text(value)
    return str(value)


__all__ = ["Block", "Dashboard", "Section", "block_csv", "build_dashboard", "cell_text"]
