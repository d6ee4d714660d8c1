-- Run once by the postgres image on an empty data volume: Rasa's tracker store gets its own database
-- (TRACKER_STORE_URL=.../rasa), the office's tables live in POSTGRES_DB (DATABASE_URL=.../office).
CREATE DATABASE rasa;
