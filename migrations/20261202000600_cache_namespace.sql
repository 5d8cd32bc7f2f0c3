-- One random name per database, put in front of every Redis key the app
-- writes (hot cache, per-user overlays): several databases may share one
-- Redis (tests, staging next to production), and demo data gives the same
-- user ids in every database seeded with the same seed, so keys named by
-- ids alone would serve one database's cached rows to another.
CREATE TABLE cache_namespace (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    name      TEXT NOT NULL DEFAULT substr(md5(gen_random_uuid()::text), 1, 12)
);
INSERT INTO cache_namespace DEFAULT VALUES;
