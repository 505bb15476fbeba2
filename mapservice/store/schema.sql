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

-- name: layer_versions
-- A change counter per layer, bumped once per statement that changes the layer (any process, any
-- client): what caches of a layer's contents (the planner's frames, tiles' ETags) are keyed by.
CREATE TABLE IF NOT EXISTS {versions} (layer_id text PRIMARY KEY, version bigint NOT NULL DEFAULT 0);
CREATE OR REPLACE FUNCTION {bump}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE {versions} SET version = version + 1 WHERE layer_id = TG_ARGV[0];
    RETURN NULL;
END $$;

-- name: layer_version_trigger
INSERT INTO {versions} (layer_id) VALUES ({layer_id}) ON CONFLICT (layer_id) DO NOTHING;
CREATE OR REPLACE TRIGGER {trigger} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION {bump}({layer_id});

-- name: point_column
-- Point layers: the longitude/latitude as a plain point, kept by the database, on a GiST index that
-- holds the id too, so that a box query counts and pages its matches from the index alone
-- (index-only scan) instead of visiting every matching row.
ALTER TABLE {table} ADD COLUMN IF NOT EXISTS lonlat point
    GENERATED ALWAYS AS (point(ST_X(geom::geometry), ST_Y(geom::geometry))) STORED;
CREATE INDEX IF NOT EXISTS {index} ON {table} USING gist (lonlat) INCLUDE (fid);

-- name: adcode_column
-- Every layer but a boundary layer: the district code of each feature (the store derives it on every
-- write, see store/districts.py), on a b-tree index: what a province distributes (Citus) or
-- partitions (pg_partman) its tables by.
ALTER TABLE {table} ADD COLUMN IF NOT EXISTS adcode text;
CREATE INDEX IF NOT EXISTS {index} ON {table} (adcode);

-- name: rederive_adcode
-- The codes derived again after the districts changed, by the rule of store/districts.py: the first
-- district by id whose polygon meets the feature's point (a polygon's point on its surface), NULL
-- outside every district; only the rows whose code changes are written.
UPDATE {table} t SET adcode = derived.adcode
FROM (SELECT f.fid, (SELECT d.adcode FROM {districts} d
                     WHERE ST_Intersects(d.geom::geometry, ST_PointOnSurface(f.geom::geometry))
                     ORDER BY d.fid LIMIT 1) AS adcode
      FROM {table} f) derived
WHERE t.fid = derived.fid AND t.adcode IS DISTINCT FROM derived.adcode;
