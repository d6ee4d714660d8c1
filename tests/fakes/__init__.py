"""Fake provider APIs (Twilio, Telegram Bot API, Graph API) for the channel tests."""
from tests.fakes.providers import Call, FakeProviders

__all__ = ["Call", "FakeProviders"]
