# Sourced by the offline image's docker-entrypoint.sh after initdb (bootstrap superuser:
# $POSTGRES_USER = supabase_admin), with "${psql[@]}" connected over the local socket.
# Reproduces what the supabase/postgres images leave behind: postgres exists, logs in with
# POSTGRES_PASSWORD, and is no superuser.
echo "docker-entrypoint: supabase/postgres role layout: supabase_admin is the superuser, postgres is demoted"
"${psql[@]}" --set=pw="$POSTGRES_PASSWORD" >/dev/null <<'SQL'
CREATE ROLE postgres LOGIN;
ALTER ROLE postgres WITH PASSWORD :'pw';
ALTER ROLE postgres NOSUPERUSER CREATEDB CREATEROLE LOGIN REPLICATION BYPASSRLS;
ALTER DATABASE postgres OWNER TO postgres;
SQL
