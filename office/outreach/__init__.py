"""Outreach: announcements to subscribers, mobile service days (layanan jemput bola / Eazy Passport)
and information sessions (sosialisasi), with registration, reminders and visit requests."""
