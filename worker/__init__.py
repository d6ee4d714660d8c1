"""The worker process: outbox delivery through Rasa, and the data-retention purge."""
