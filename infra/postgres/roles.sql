-- The one role and database a human creates; `hemis` creates every other role itself.
--
--   sudo -u postgres psql -v owner_password="$(cat /root/hemis-owner.pw)" -f infra/postgres/roles.sql
--   (optional: -v owner_role=... -v dbname=...; defaults hemis_owner / hemis)
--
-- Idempotent: rerunning only resets the password. psql variables, not a DO block, because
-- psql does not interpolate :'var' inside dollar quotes.
\set ON_ERROR_STOP on
\if :{?owner_role} \else \set owner_role hemis_owner \endif
\if :{?dbname} \else \set dbname hemis \endif

-- The migration/owner role (HEMIS_DB__URL / DATABASE_URL logs in as it). It owns the
-- database and every schema, and needs CREATEROLE because provisioning creates one role
-- per tenant and grants it to the app role. Not SUPERUSER: nothing should need it
-- (`hemis tenants drop` does today: see infra/README.md, "Operating notes").
SELECT format('CREATE ROLE %I LOGIN CREATEROLE', :'owner_role')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner_role') \gexec
ALTER ROLE :"owner_role" LOGIN CREATEROLE NOSUPERUSER PASSWORD :'owner_password';

-- CREATE DATABASE cannot run in a transaction or a DO block; \gexec runs it on its own.
SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8'' TEMPLATE template0', :'dbname', :'owner_role')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'dbname') \gexec

-- What `hemis db migrate` (and `hemis tenants migrate`, which calls it first) then does as
-- the owner, idempotently, with <p> = HEMIS_TENANCY__ROLE_PREFIX (tenants/provision.py):
--
--   CREATE ROLE "<p>hemis_app" LOGIN NOINHERIT;            -- the API's login; holds no rights itself
--   ALTER ROLE "<p>hemis_app" LOGIN NOINHERIT PASSWORD '<HEMIS_DB__APP_PASSWORD>';  -- on every run
--   CREATE ROLE "<p>hemis_shared" NOLOGIN;                  -- shared-only transactions
--   CREATE ROLE "<p>hemis_ref_reader" NOLOGIN;              -- SELECT on schema ref
--   GRANT "<p>hemis_shared" TO "<p>hemis_app";
--   GRANT "<p>hemis_ref_reader" TO "<p>hemis_shared";
--   GRANT USAGE ON SCHEMA ref TO "<p>hemis_ref_reader";  GRANT SELECT ON ALL TABLES IN SCHEMA ref ...;
--   GRANT USAGE ON SCHEMA shared TO "<p>hemis_shared";   GRANT SELECT ON ALL TABLES IN SCHEMA shared ...;
--
-- and per tenant, in the same transaction as its schema (`hemis tenants create <code>`):
--
--   CREATE ROLE "<p>t_<code>" NOLOGIN;
--   GRANT "<p>t_<code>" TO "<p>hemis_app";
--   GRANT "<p>hemis_ref_reader" TO "<p>t_<code>";
--   CREATE SCHEMA "t_<code>";  GRANT USAGE ON SCHEMA "t_<code>" TO "<p>t_<code>";
--   ALTER DEFAULT PRIVILEGES IN SCHEMA "t_<code>" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "<p>t_<code>";
--   ALTER DEFAULT PRIVILEGES IN SCHEMA "t_<code>" GRANT USAGE, SELECT ON SEQUENCES TO "<p>t_<code>";
--
-- Optional, after the first `hemis db migrate` (the app role exists only then): a ceiling on
-- request queries. Role settings apply at login, so this covers every tenant transaction;
-- migrations run as the owner and are not affected.
--   ALTER ROLE "<p>hemis_app" SET statement_timeout = '30s';
