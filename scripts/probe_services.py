"""Exit 0 when both PostgreSQL and Redis answer within a few seconds; say which one did not."""

import sys

import psycopg
import redis

db_url, redis_url = sys.argv[1], sys.argv[2]
ok = True
try:
    # The test runner creates its own database: reaching the server (the maintenance db) is enough.
    info = psycopg.conninfo.conninfo_to_dict(db_url.replace("postgres://", "postgresql://", 1))
    info["dbname"] = "postgres"
    psycopg.connect(**info, connect_timeout=3).close()
except Exception as exc:
    print(f"parley: PostgreSQL unreachable at {db_url}: {' '.join(str(exc).split())[:160]}", file=sys.stderr)
    ok = False
try:
    redis.Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=3).ping()
except Exception as exc:
    print(f"parley: Redis unreachable at {redis_url}: {exc}", file=sys.stderr)
    ok = False
sys.exit(0 if ok else 1)
