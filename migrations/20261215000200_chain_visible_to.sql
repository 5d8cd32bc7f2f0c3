-- Who may see a chain, defined once for every query that needs it: an
-- active chain is visible to everyone when it is public, and otherwise
-- only to its creator and its followers (its members). An inactive chain
-- is visible to no one. `viewer` is NULL for a signed-out visitor.
CREATE OR REPLACE FUNCTION chain_visible_to(c chains, viewer UUID)
RETURNS BOOLEAN
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT c.is_active
       AND (c.is_public
            OR coalesce(c.creator_id = viewer, false)
            OR EXISTS (SELECT 1 FROM chain_followers f
                        WHERE f.chain_id = c.id AND f.user_id = viewer))
$$;
