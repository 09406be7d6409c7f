#!/usr/bin/env bash
# The stand-in's docker-entrypoint.sh (postgres.Dockerfile): the official image's script
# (docker-library/postgres, 17/bookworm/docker-entrypoint.sh) reduced to the path the chart takes.
# Mirrored, in its order: docker_setup_env (POSTGRES_USER defaults to postgres, POSTGRES_DB to
# the user; an existing database is one whose $PGDATA/PG_VERSION is not empty),
# docker_create_db_directories (mkdir -p "$PGDATA", chmod 700, failures of chmod ignored),
# docker_verify_minimum_env (no password, no initialisation), docker_init_database_dir (initdb
# with the password from a process substitution: never in argv; local connections trusted, as
# initdb's default), pg_setup_hba_conf ("host all all all scram-sha-256", the default
# password_encryption's method), docker_temp_server_start (socket only: listen_addresses=''),
# docker_setup_db (CREATE DATABASE unless it exists), docker_temp_server_stop (fast), then
# `exec postgres`. Left out: running as root and dropping to postgres with gosu (the chart runs
# it as uid 999 throughout), *_FILE variables, POSTGRES_INITDB_ARGS/WALDIR,
# POSTGRES_HOST_AUTH_METHOD, /docker-entrypoint-initdb.d.
set -Eeo pipefail

if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi

if [ "$1" = 'postgres' ]; then
  : "${POSTGRES_USER:=postgres}"
  : "${POSTGRES_DB:=$POSTGRES_USER}"
  mkdir -p "$PGDATA"
  chmod 00700 "$PGDATA" || :
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "$POSTGRES_PASSWORD" ]; then
      echo >&2 'Error: Database is uninitialized and superuser password is not specified.'
      exit 1
    fi
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD")
    printf '\nhost all all all %s\n' "$(postgres -C password_encryption "${@:2}")" >> "$PGDATA/pg_hba.conf"
    PGUSER="$POSTGRES_USER" pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start
    exists="$(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc --dbname postgres --set db="$POSTGRES_DB" --tuples-only <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")"
    if [ -z "$exists" ]; then
      psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
    fi
    PGUSER="$POSTGRES_USER" pg_ctl -D "$PGDATA" -m fast -w stop
    printf '\nPostgreSQL init process complete; ready for start up.\n\n'
  else
    printf '\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n'
  fi
fi

exec "$@"
