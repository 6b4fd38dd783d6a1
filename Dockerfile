# Container images for docker-compose.yml, built from the same Makefile
# targets the tests exercise (`make all`, `make install`).
#   docker build --target api .      the FastCGI responder pool (+ migrations)
#   docker build --target worker .   the order worker
#   docker build --target nginx .    nginx with the storefront and the same template

FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc make pkg-config libc6-dev \
      libfcgi-dev libpq-dev librabbitmq-dev libcjson-dev libhiredis-dev libcrypt-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY lib lib
COPY cgi-bin cgi-bin
COPY worker worker
COPY schema schema
COPY www www
COPY nginx nginx
COPY scripts/migrate.sh scripts/migrate.sh
RUN make all && make install DESTDIR=/out PREFIX=/usr

FROM debian:12-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libfcgi0ldbl libpq5 librabbitmq4 \
      libcjson1 libhiredis0.14 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --shell /usr/sbin/nologin bakery \
 && install -d -o bakery -g bakery /var/lib/bakery/metrics
COPY --from=build /out/usr/bin/bakery-api /out/usr/bin/bakery-worker /usr/bin/
COPY docker/app-env.sh /usr/lib/bakery/app-env.sh

FROM runtime AS api
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client libfcgi-bin \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/usr/share/bakery /usr/share/bakery
COPY docker/api-entrypoint.sh /usr/bin/bakery-api-entrypoint
ENV BAKERY_LISTEN=0.0.0.0:9000 BAKERY_SCHEMA_DIR=/usr/share/bakery/schema
USER bakery
EXPOSE 9000
ENTRYPOINT ["/usr/bin/bakery-api-entrypoint"]

# The compose health check needs only find and grep (Essential in Debian,
# so in the slim image) to test the heartbeat file's age.
FROM runtime AS worker
COPY docker/worker-entrypoint.sh /usr/bin/bakery-worker-entrypoint
USER bakery
ENTRYPOINT ["/usr/bin/bakery-worker-entrypoint"]

# nginx runs as www-data, master included, on 8080: it needs no root, and its
# state (pid, temp dirs, the rendered config) lives in $BAKERY_VAR, which
# that user owns. Debian's `nginx` is the binary the tests run `nginx -t` on.
FROM debian:12-slim AS nginx
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx gettext-base curl \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o www-data -g www-data /var/lib/bakery
COPY --from=build /out/usr/share/bakery/www /usr/share/bakery/www
COPY --from=build /out/usr/share/bakery/nginx /usr/share/bakery/nginx
COPY docker/nginx-entrypoint.sh /usr/bin/bakery-nginx-entrypoint
ENV BAKERY_VAR=/var/lib/bakery BAKERY_WWW=/usr/share/bakery/www \
    BAKERY_HTTP_LISTEN=8080 BAKERY_UPSTREAM=api:9000
USER www-data
EXPOSE 8080
ENTRYPOINT ["/usr/bin/bakery-nginx-entrypoint"]
