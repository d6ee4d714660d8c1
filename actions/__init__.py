"""rasa_sdk actions: thin adapters from the conversation to the office domain (office/)."""
