-- mv_search_terms: the vocabulary of searchable names (project titles,
-- usernames, public chain names; words of 2+ characters, lower case) with
-- how many names contain each, for typo tolerance: search_correct() turns
-- each query word into the closest term ("rsut" -> "rust") before the
-- full-text search runs. See docs/VIEWS.md, "Fuzzy search".
-- Kept whole, on a timer (every 2 minutes), not on writes: it only steers
-- spelling corrections (the search itself reads mv_search_index, kept per
-- key), a name's new word being correctable a couple of minutes later
-- changes no result of a correctly spelled query, and its key is a word,
-- which would need its own log of words to be kept per key. Its refresh
-- grows with the data (0.4 s at 10x scale, see docs/BENCHMARKS.md): on a
-- timer it costs one refresh per 2 minutes whatever the write rate.
-- Staleness target: 3 minutes.

DROP VIEW IF EXISTS mv_search_terms_def;
CREATE VIEW mv_search_terms_def AS
SELECT w.term, count(*) AS frequency
FROM (
    SELECT p.title AS name FROM projects p WHERE NOT p.is_deleted
    UNION ALL
    SELECT u.username FROM users u WHERE u.is_active
    UNION ALL
    SELECT c.name FROM chains c WHERE c.is_active AND c.is_public
) d
CROSS JOIN LATERAL regexp_split_to_table(lower(d.name), '[^[:alnum:]]+') AS w(term)
WHERE length(w.term) >= 2
GROUP BY w.term;

SELECT derived_register_whole('mv_search_terms', ARRAY['term'], '{}', interval '2 minutes',
                              interval '3 minutes');
CREATE INDEX IF NOT EXISTS mv_search_terms_trgm ON mv_search_terms USING gin (term gin_trgm_ops);

-- Optimal string alignment distance: Levenshtein plus adjacent
-- transpositions ("rsut" -> "rust" is 1, Levenshtein says 2).
CREATE OR REPLACE FUNCTION osa_distance(a text, b text) RETURNS int
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    la int := length(a);
    lb int := length(b);
    w  int := lb + 1;   -- row width of the (la+1) x (lb+1) matrix, flattened
    d  int[];
    cost int;
BEGIN
    IF la = 0 THEN RETURN lb; END IF;
    IF lb = 0 THEN RETURN la; END IF;
    d := array_fill(0, ARRAY[(la + 1) * w]);
    FOR i IN 0..la LOOP d[i * w + 1] := i; END LOOP;
    FOR j IN 0..lb LOOP d[j + 1] := j; END LOOP;
    FOR i IN 1..la LOOP
        FOR j IN 1..lb LOOP
            cost := CASE WHEN substr(a, i, 1) = substr(b, j, 1) THEN 0 ELSE 1 END;
            d[i * w + j + 1] := least(d[(i - 1) * w + j + 1] + 1,      -- deletion
                                      d[i * w + j] + 1,                -- insertion
                                      d[(i - 1) * w + j] + cost);      -- substitution
            IF i > 1 AND j > 1 AND substr(a, i, 1) = substr(b, j - 1, 1)
               AND substr(a, i - 1, 1) = substr(b, j, 1) THEN
                d[i * w + j + 1] := least(d[i * w + j + 1], d[(i - 2) * w + j - 1] + 1);  -- transposition
            END IF;
        END LOOP;
    END LOOP;
    RETURN d[la * w + lb + 1];
END
$$;

-- The query with each word replaced by the closest vocabulary term (itself
-- when it is a term; unchanged when nothing is close enough: at most 1 edit
-- for words of up to 4 letters, 2 beyond). Candidates come from the trigram
-- index with a low similarity threshold, set for this function only.
CREATE OR REPLACE FUNCTION search_correct(q text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET pg_trgm.similarity_threshold = 0.1
AS $$
    SELECT string_agg(COALESCE(best.term, w.word), ' ' ORDER BY w.ord)
    FROM regexp_split_to_table(lower(q), '[^[:alnum:]]+') WITH ORDINALITY AS w(word, ord)
    LEFT JOIN LATERAL (
        SELECT t.term
        FROM mv_search_terms t
        WHERE t.term % w.word
          -- cheap bounds first: the distance is at least the length
          -- difference; a word of over 40 characters is left as typed
          AND length(w.word) <= 40
          AND abs(length(t.term) - length(w.word)) <= 2
          AND osa_distance(t.term, w.word) <= CASE WHEN length(w.word) <= 4 THEN 1 ELSE 2 END
        ORDER BY osa_distance(t.term, w.word), similarity(t.term, w.word) DESC, t.frequency DESC, t.term
        LIMIT 1
    ) best ON true
    WHERE w.word <> ''
$$;
