"""Figures for the office's evaluation dashboards (issue 7): pure queries over what the assistant records.

Each module takes a database session (or engine) and a `Period` and returns plain frozen dataclasses, so
the back-office draws charts, tables and CSV files from the same numbers, and tests compare them with
figures computed by hand. Nothing here knows about HTTP or Rasa's code; the Rasa tracker store is read
as the SQL table it is.
"""
