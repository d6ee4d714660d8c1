"""Visit booking and the same-day digital queue (domain: no Rasa, no HTTP).

catalogue: services and policy; bookings: slots and booking rules; queue: numbers and counters;
reminders: day-before messages; texts: how results read to a citizen.
"""
