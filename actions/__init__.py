"""rasa_sdk actions: thin adapters from the conversation to the office domain (office/)."""

from actions import database_outage

database_outage.install()  # before rasa_sdk imports the action modules: one guard for every action
