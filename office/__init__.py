"""The office domain: everything the assistant knows and decides, with no Rasa or HTTP imports."""
