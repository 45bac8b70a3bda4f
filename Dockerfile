# opendynamo run as DynamoDB Local's image is run (README, "Coming from DynamoDB Local"):
#   docker build -t opendynamo .
#   docker run -p 8000:8000 -v opendynamo-data:/data opendynamo
# It listens on every address of the container with --auth off: any credentials work, as
# with DynamoDB Local, so publish its port only where everyone who reaches it may read and
# write every table (or run it with --auth sigv4).
FROM python:3.11-slim

WORKDIR /opt/opendynamo
COPY pyproject.toml README.md ./
COPY opendynamo ./opendynamo
RUN pip install --no-cache-dir . \
    && useradd --system --home-dir /data opendynamo \
    && mkdir -p /data \
    && chown opendynamo /data

USER opendynamo
WORKDIR /data
VOLUME /data
EXPOSE 8000

ENTRYPOINT ["opendynamo"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--data-dir", "/data", "--auth", "off", "--namespace", "shared"]
