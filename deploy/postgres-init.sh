#!/bin/sh
# Runs once, when the postgres service of docker-compose.yml initialises an empty volume
# (/docker-entrypoint-initdb.d), as the superuser. It creates what the hub needs and nothing more:
#
#   kobi      LOGIN, not a superuser, cannot create roles or databases: owns the database `kobi`
#             and (through the migrate step) its tables. The hub connects as it; every request
#             then switches to kobi_app (SET LOCAL ROLE), which owns nothing (README "Deployment").
#   kobi_app  NOLOGIN: the role requests run as, bound by row-level security. Created here because
#             kobi may not create roles; the migrations find it and only grant it privileges.
#
# The superuser (POSTGRES_PASSWORD) is for the operator's maintenance only; no service uses it.
set -eu
: "${KOBI_DB_PASSWORD:?KOBI_DB_PASSWORD must be set}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v pw="$KOBI_DB_PASSWORD" <<'SQL'
CREATE ROLE kobi LOGIN PASSWORD :'pw' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE ROLE kobi_app NOLOGIN;
GRANT kobi_app TO kobi;
CREATE DATABASE kobi OWNER kobi;
REVOKE ALL ON DATABASE kobi FROM PUBLIC;
SQL
