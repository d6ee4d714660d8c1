"""Back-office web app (staff pages) and the public web-chat page, served by FastAPI.

Start with `uvicorn backoffice.app:app`; see backoffice/app.py for the settings it reads.
"""
