# syntax=docker/dockerfile:1
# One image for the three services; compose picks the process with `command`.
# Stage 1 builds wheels for the project and every dependency, so the runtime stage
# installs offline and carries no compiler, cache or source tree.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY gen/python gen/python
COPY eventstore_lite eventstore_lite
COPY orders_contracts orders_contracts
COPY orders_runtime orders_runtime
COPY write_service write_service
COPY read_service read_service
COPY projector projector
COPY orders_cli orders_cli
RUN pip wheel --no-cache-dir --constraint constraints.txt --wheel-dir /wheels .

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin orders
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links /wheels orders-cqrs
# The customers' key store (KEY_STORE_PATH) lives here, on a volume the write and read services
# share: owned by the service user, so that a new named volume takes this owner.
RUN mkdir /keys && chown 10001:10001 /keys && chmod 700 /keys
USER 10001:10001
EXPOSE 50051 50052
# `orders health ADDRESS` asks the standard gRPC health service; compose uses it per service.
CMD ["python", "-m", "write_service"]
