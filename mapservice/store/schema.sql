-- PostGIS DDL for Yuren Map. Placeholders in braces are filled with psycopg.sql.Identifier
-- (names come only from validated layer files); no value is ever formatted into this text.

-- name: extension
CREATE EXTENSION IF NOT EXISTS postgis;

-- name: schema
CREATE SCHEMA IF NOT EXISTS {schema};

-- name: layer_table
-- One table per layer. geography keeps distances geodesic on WGS 84; the second index, on the
-- geometry cast, serves bounding-box queries in plain longitude/latitude.
CREATE TABLE IF NOT EXISTS {table} (
    fid bigserial PRIMARY KEY,
    source_id text NOT NULL UNIQUE,
    generated boolean NOT NULL DEFAULT false,
    geom geography({geometry_type}, 4326) NOT NULL
    {columns}
);
CREATE INDEX IF NOT EXISTS {geography_index} ON {table} USING gist (geom);
CREATE INDEX IF NOT EXISTS {geometry_index} ON {table} USING gist ((geom::geometry));
