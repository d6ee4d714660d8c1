"""The navigation menu: one list of (label, path, roles), so a page appears in the menu exactly for
the roles its route lets in. New staff screens add a line here and use the same roles in
`require_roles(...)` on their routes."""
from __future__ import annotations

from dataclasses import dataclass

from office.staff import ADMIN, COUNTER, EDITOR, OFFICER, ROLES, SUPERVISOR


@dataclass(frozen=True)
class NavItem:
    """A menu entry; `description` is shown on the home page cards."""

    label: str
    path: str
    roles: tuple[str, ...]
    description: str = ""


NAV_ITEMS: list[NavItem] = [
    NavItem("Beranda", "/staff", ROLES, "Ringkasan akun Anda."),
    NavItem("Pengaduan", "/staff/tickets", (OFFICER, SUPERVISOR, ADMIN), "Kotak masuk pengaduan unit Anda."),
    NavItem("Obrolan langsung", "/staff/live", (OFFICER, SUPERVISOR, ADMIN), "Warga yang meminta bicara dengan petugas."),
    NavItem("Pengguna", "/staff/users", (ADMIN,), "Tambah akun petugas, atur peran, unit dan kata sandi."),
    NavItem("Jejak audit", "/staff/audit", (ADMIN, SUPERVISOR), "Siapa melakukan apa dan kapan."),
    NavItem("Perlindungan data", "/staff/data-protection", (ADMIN, SUPERVISOR), "Permintaan warga atas datanya, masa simpan, pembersihan data."),
    NavItem("Pengiriman gagal", "/staff/outbox", (ADMIN, SUPERVISOR), "Pesan kantor yang gagal terkirim ke warga; kirim ulang."),
    NavItem("Loket antrean", "/staff/queue", (COUNTER, SUPERVISOR, ADMIN), "Panggil nomor, layani, alihkan; booking hari ini."),
    NavItem("Kios antrean", "/staff/kiosk", (COUNTER, SUPERVISOR, ADMIN), "Ambil nomor atau check-in dengan kode booking."),
    NavItem("Layanan keliling", "/staff/outreach", (COUNTER, SUPERVISOR, ADMIN), "Layanan paspor keliling dan sosialisasi: jadwal, pendaftar, check-in; permohonan kunjungan."),
    NavItem("Layanan & kuota", "/staff/queue/settings", (ADMIN,), "Layanan, kapasitas slot, kuota, aturan booking."),
    NavItem("Hari libur", "/staff/holidays", (ADMIN, SUPERVISOR), "Libur nasional dan cuti bersama: kantor tutup, booking dan SLA menyesuaikan."),
    NavItem("Pengumuman", "/staff/announcements", (EDITOR, SUPERVISOR, ADMIN), "Tulis, pratinjau per kanal, jadwalkan, dan pantau pengiriman ke pelanggan info."),
    NavItem("Basis pengetahuan", "/staff/kb", (EDITOR, SUPERVISOR, ADMIN), "Artikel jawaban bot, pratinjau, terbitkan, coba pertanyaan."),
    NavItem("Dasbor evaluasi", "/staff/dashboard", (SUPERVISOR, ADMIN), "IKM, percakapan, antrean, pengaduan dan SLA; CSV dan laporan bulanan."),
    NavItem("Ganti kata sandi", "/staff/password", ROLES, "Ubah kata sandi akun Anda sendiri."),
]


def nav_for(role: str) -> list[NavItem]:
    """The menu entries `role` may open."""
    return [item for item in NAV_ITEMS if role in item.roles]
