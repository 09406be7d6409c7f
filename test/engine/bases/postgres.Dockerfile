# Stand-in for postgres:17.6-bookworm (the in-cluster database's image, charts/database), made
# from Debian trixie's own postgresql-17 because no registry can be pulled from. It mirrors the
# official Dockerfile (docker-library/postgres, 17/bookworm) where the chart relies on it:
# - the postgres user and group are uid/gid 999, created BEFORE the package, whose postinst
#   would otherwise make a system user with whatever id comes next;
# - no cluster is made by the package (create_main_cluster = false): the entrypoint runs initdb;
# - postgresql.conf.sample listens on '*', so the initialised server takes TCP connections;
# - PATH has /usr/lib/postgresql/17/bin, PGDATA=/var/lib/postgresql/data (mode 1777, as the
#   official), /var/run/postgresql the postgres user's with mode 3777;
# - STOPSIGNAL SIGINT (fast shutdown), port 5432, ENTRYPOINT docker-entrypoint.sh, CMD postgres.
# Not mirrored: gosu (the chart runs it as 999 from the start), the en_US.UTF-8 locale (C.UTF-8
# here), nss_wrapper and initdb.d scripts. Test-only; see ../bases.ts.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
RUN groupadd --system --gid 999 postgres \
 && useradd --system --uid 999 --gid 999 --home-dir /var/lib/postgresql --shell /bin/bash postgres \
 && install --directory --owner postgres --group postgres --mode 0755 /var/lib/postgresql \
 && mkdir -p /etc/postgresql-common/createcluster.d \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/inhibit-main-cluster.conf \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-17 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" /usr/share/postgresql/17/postgresql.conf.sample \
 && grep -F "listen_addresses = '*'" /usr/share/postgresql/17/postgresql.conf.sample \
 && test "$(id -u postgres):$(id -g postgres)" = 999:999 \
 && install --directory --owner postgres --group postgres --mode 3777 /var/run/postgresql
ENV PG_MAJOR=17 \
    PATH=$PATH:/usr/lib/postgresql/17/bin \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8
RUN install --directory --owner postgres --group postgres --mode 1777 "$PGDATA"
VOLUME /var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
