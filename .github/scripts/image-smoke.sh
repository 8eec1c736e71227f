#!/usr/bin/env bash
# image-smoke.sh IMAGE: run a meshfork image once (release-steps.sh, before it is pushed; SMOKE_PULL=true
# pulls IMAGE first). Seeds one dashboard user in
# the PostgreSQL named by POSTGRES_HOST/PORT/USER/PASSWORD/DB, starts the container on the host
# network, waits for "JWT Auth: PostgreSQL connected", and requires GET /?token=JWT to answer 302
# with a session cookie. The token is signed with the payload's smoke login (image/smoke-login.js).
set -euo pipefail
image=$1
port=${SMOKE_PORT:-8443}
name=meshfork-smoke-$$
docker() { "${DOCKER:-docker}" "$@"; }

if [ "${SMOKE_PULL:-false}" = true ]; then docker pull "$image"; fi
PGPASSWORD=$POSTGRES_PASSWORD psql -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d "$POSTGRES_DB" -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE IF NOT EXISTS users (user_id TEXT PRIMARY KEY, email TEXT NOT NULL, name TEXT, role TEXT NOT NULL DEFAULT 'user',
  tenant_id TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now(), deleted_at TIMESTAMPTZ);
INSERT INTO users (user_id, email, name, role, tenant_id) VALUES ('smoke', 'smoke@example.invalid', 'Smoke Test', 'user', 'smoke')
  ON CONFLICT (user_id) DO NOTHING;
SQL

secret=$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))')
docker run -d --name "$name" --network host \
  -e JWT_SECRET="$secret" -e JWT_ISSUER=https://dashboard.smoke.invalid -e JWT_AUDIENCE=meshcentral -e MESHCENTRAL_URL=https://localhost -e MESHCENTRAL_PORT="$port" -e MESHCENTRAL_AGENT_PORT=0 \
  -e POSTGRES_HOST -e POSTGRES_PORT -e POSTGRES_USER -e POSTGRES_PASSWORD -e POSTGRES_DB -e POSTGRES_SSL=false \
  "$image"
trap 'docker logs "$name" > image-smoke.log 2>&1 || true; docker rm -f "$name" > /dev/null 2>&1 || true' EXIT

for _ in $(seq 90); do
  if docker logs "$name" 2>&1 | grep -q 'JWT Auth: PostgreSQL connected'; then break; fi
  if [ "$(docker inspect -f '{{.State.Running}}' "$name")" != true ]; then docker logs "$name"; echo "the container stopped" >&2; exit 1; fi
  sleep 2
done
docker logs "$name" 2>&1 | grep -q 'JWT Auth: PostgreSQL connected' || { docker logs "$name"; echo "no 'JWT Auth: PostgreSQL connected' within 180 s" >&2; exit 1; }

token=$(SECRET=$secret SMOKE_JWT_HELPER="$(cd "$(dirname "$0")/../.." && pwd)/image/smoke-login.js" node -e 'const { signToken } = require(process.env.SMOKE_JWT_HELPER); process.stdout.write(signToken(process.env.SECRET, { sub: "smoke", email: "smoke@example.invalid", tenant_id: "smoke", iss: "https://dashboard.smoke.invalid", aud: "meshcentral" }))')
headers=$(curl -sk -o /dev/null -D - "https://127.0.0.1:$port/?token=$token")
status=$(printf '%s' "$headers" | head -1 | awk '{print $2}')
if [ "$status" != 302 ] || ! printf '%s' "$headers" | grep -qi '^set-cookie: xid='; then
  printf '%s\n' "$headers"; docker logs "$name" 2>&1 | grep 'JWT Auth' || true
  echo "GET /?token= answered $status, expected 302 with a session cookie" >&2
  exit 1
fi
echo "image smoke: $image took a JWT login (HTTP 302 with a session)"
