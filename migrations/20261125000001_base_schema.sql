-- Base schema: the source tables every derived structure is defined from.
-- Names follow shared/seed/denormalization-strategy.md where it gives them.
-- Deliberate ON DELETE rules: content a user owns goes with the user
-- (CASCADE); references that only describe history (who resolved a report)
-- become NULL; nothing is silently orphaned.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE users (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    username       TEXT NOT NULL,
    email          TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    bio            TEXT NOT NULL DEFAULT '',
    profile_image  TEXT,
    is_verified    BOOLEAN NOT NULL DEFAULT FALSE,
    is_active      BOOLEAN NOT NULL DEFAULT TRUE,
    role           TEXT NOT NULL DEFAULT 'builder',
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT users_role_check CHECK (role IN ('builder', 'validator', 'investor', 'admin')),
    CONSTRAINT users_username_format CHECK (username ~ '^[A-Za-z0-9_]{3,30}$'),
    CONSTRAINT users_email_length CHECK (char_length(email) BETWEEN 3 AND 254 AND position('@' in email) > 1),
    CONSTRAINT users_bio_length CHECK (char_length(bio) <= 500),
    CONSTRAINT users_profile_image_length CHECK (char_length(profile_image) <= 500)
);
-- Case-insensitive uniqueness; the index names are mapped to field errors in code.
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
CREATE INDEX idx_users_active ON users (is_active) WHERE is_active = TRUE;
CREATE INDEX idx_users_role ON users (role, created_at DESC);

CREATE TABLE projects (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title               TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    proof_of_work_link  TEXT,
    image_url           TEXT,
    category            TEXT NOT NULL DEFAULT 'other',
    proof_score         INT NOT NULL DEFAULT 0,
    is_featured         BOOLEAN NOT NULL DEFAULT FALSE,
    is_deleted          BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at          TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT projects_title_length CHECK (char_length(btrim(title)) BETWEEN 1 AND 120),
    CONSTRAINT projects_description_length CHECK (char_length(description) <= 5000),
    CONSTRAINT projects_link_length CHECK (char_length(proof_of_work_link) <= 500),
    CONSTRAINT projects_image_length CHECK (char_length(image_url) <= 500),
    CONSTRAINT projects_category_check CHECK (category IN
        ('ai', 'web', 'mobile', 'devtools', 'data', 'infra', 'security', 'hardware', 'games', 'fintech', 'other')),
    CONSTRAINT projects_proof_score_nonneg CHECK (proof_score >= 0)
);
-- SEED-REVIEW item 6: a plain index on user_id (the partial one cannot serve
-- counts over all of a user's projects).
CREATE INDEX idx_projects_user ON projects (user_id);
CREATE INDEX idx_projects_user_deleted ON projects (user_id, is_deleted) WHERE is_deleted = FALSE;
CREATE INDEX idx_projects_category_score ON projects (category, proof_score DESC) WHERE is_deleted = FALSE;
CREATE INDEX idx_projects_featured ON projects (is_featured, created_at DESC) WHERE is_featured = TRUE;
CREATE INDEX idx_projects_created ON projects (created_at DESC) WHERE is_deleted = FALSE;

CREATE TABLE comments (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id  UUID NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    parent_id   UUID REFERENCES comments(id) ON DELETE CASCADE,
    content     TEXT NOT NULL,
    is_edited   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT comments_content_length CHECK (char_length(btrim(content)) BETWEEN 1 AND 2000),
    CONSTRAINT comments_not_own_parent CHECK (parent_id IS DISTINCT FROM id)
);
CREATE INDEX idx_comments_project_parent ON comments (project_id, parent_id, created_at DESC);
CREATE INDEX idx_comments_user ON comments (user_id, created_at DESC);
CREATE INDEX idx_comments_parent ON comments (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE upvotes (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    project_id  UUID NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    is_upvote   BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT upvotes_user_project_key UNIQUE (user_id, project_id)
);
-- SEED-REVIEW item 2: the plain index the per-project counts need.
CREATE INDEX idx_upvotes_project ON upvotes (project_id);

CREATE TABLE validation_badges (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id    UUID NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    validator_id  UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    badge_type    TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT validation_badges_type_check CHECK (badge_type IN
        ('code_quality', 'innovation', 'impact', 'design', 'security')),
    CONSTRAINT validation_badges_note_length CHECK (char_length(note) <= 500),
    CONSTRAINT validation_badges_one_per_type UNIQUE (project_id, validator_id, badge_type)
);
CREATE INDEX idx_badges_project ON validation_badges (project_id, created_at DESC);
CREATE INDEX idx_badges_validator ON validation_badges (validator_id, created_at DESC);

CREATE TABLE direct_messages (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    sender_id     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    recipient_id  UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    message       TEXT NOT NULL,
    is_read       BOOLEAN NOT NULL DEFAULT FALSE,
    read_at       TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT direct_messages_not_self CHECK (sender_id <> recipient_id),
    CONSTRAINT direct_messages_length CHECK (char_length(btrim(message)) BETWEEN 1 AND 5000)
);
CREATE INDEX idx_messages_conversation ON direct_messages (sender_id, recipient_id, created_at DESC);
CREATE INDEX idx_messages_recipient ON direct_messages (recipient_id, sender_id, created_at DESC);
CREATE INDEX idx_messages_unread ON direct_messages (recipient_id, is_read, created_at DESC) WHERE is_read = FALSE;

CREATE TABLE notifications (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    actor_id    UUID REFERENCES users(id) ON DELETE SET NULL,
    kind        TEXT NOT NULL,
    message     TEXT NOT NULL,
    link        TEXT,
    is_read     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT notifications_kind_check CHECK (kind IN
        ('comment', 'reply', 'badge', 'intro_request', 'intro_answer', 'forum_reply', 'investor_decision', 'system')),
    CONSTRAINT notifications_message_length CHECK (char_length(message) BETWEEN 1 AND 500)
);
CREATE INDEX idx_notifications_user_unread ON notifications (user_id, is_read, created_at DESC) WHERE is_read = FALSE;
CREATE INDEX idx_notifications_user_created ON notifications (user_id, created_at DESC);

CREATE TABLE chains (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    creator_id   UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    image_url    TEXT,
    category     TEXT NOT NULL DEFAULT 'other',
    is_public    BOOLEAN NOT NULL DEFAULT TRUE,
    is_active    BOOLEAN NOT NULL DEFAULT TRUE,
    is_featured  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT chains_name_length CHECK (char_length(btrim(name)) BETWEEN 2 AND 80),
    CONSTRAINT chains_description_length CHECK (char_length(description) <= 2000),
    CONSTRAINT chains_image_length CHECK (char_length(image_url) <= 500),
    CONSTRAINT chains_category_check CHECK (category IN
        ('ai', 'web', 'mobile', 'devtools', 'data', 'infra', 'security', 'hardware', 'games', 'fintech', 'other'))
);
CREATE UNIQUE INDEX chains_name_lower_key ON chains (lower(name));
CREATE INDEX idx_chains_creator ON chains (creator_id, created_at DESC);
CREATE INDEX idx_chains_public_active ON chains (is_public, is_active) WHERE is_public = TRUE AND is_active = TRUE;

CREATE TABLE chain_followers (
    chain_id    UUID NOT NULL REFERENCES chains(id) ON DELETE CASCADE,
    user_id     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (chain_id, user_id)
);
CREATE INDEX idx_chain_followers_user ON chain_followers (user_id, created_at DESC);
CREATE INDEX idx_chain_followers_chain ON chain_followers (chain_id, created_at DESC);

CREATE TABLE chain_projects (
    chain_id    UUID NOT NULL REFERENCES chains(id) ON DELETE CASCADE,
    project_id  UUID NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    added_by    UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (chain_id, project_id)
);
CREATE INDEX idx_chain_projects_project ON chain_projects (project_id);

CREATE TABLE chain_posts (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    chain_id    UUID NOT NULL REFERENCES chains(id) ON DELETE CASCADE,
    author_id   UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    content     TEXT NOT NULL,
    post_type   TEXT NOT NULL DEFAULT 'discussion',
    is_pinned   BOOLEAN NOT NULL DEFAULT FALSE,
    is_deleted  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT chain_posts_title_length CHECK (char_length(btrim(title)) BETWEEN 1 AND 200),
    CONSTRAINT chain_posts_content_length CHECK (char_length(btrim(content)) BETWEEN 1 AND 10000),
    CONSTRAINT chain_posts_type_check CHECK (post_type IN ('discussion', 'question', 'announcement', 'showcase'))
);
CREATE INDEX idx_chain_posts_chain ON chain_posts (chain_id, is_pinned DESC, created_at DESC) WHERE is_deleted = FALSE;
CREATE INDEX idx_chain_posts_author ON chain_posts (author_id, created_at DESC);

CREATE TABLE chain_post_votes (
    post_id     UUID NOT NULL REFERENCES chain_posts(id) ON DELETE CASCADE,
    user_id     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    is_upvote   BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX idx_chain_post_votes_user ON chain_post_votes (user_id);

CREATE TABLE chain_post_comments (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    post_id     UUID NOT NULL REFERENCES chain_posts(id) ON DELETE CASCADE,
    author_id   UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    content     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT chain_post_comments_length CHECK (char_length(btrim(content)) BETWEEN 1 AND 2000)
);
CREATE INDEX idx_chain_post_comments_post ON chain_post_comments (post_id, created_at);
CREATE INDEX idx_chain_post_comments_author ON chain_post_comments (author_id);

CREATE TABLE investor_requests (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status           TEXT NOT NULL DEFAULT 'pending',
    company_name     TEXT NOT NULL,
    investment_focus TEXT NOT NULL DEFAULT '',
    ticket_size      TEXT NOT NULL DEFAULT '',
    portfolio_url    TEXT,
    linkedin_url     TEXT,
    reviewed_by      UUID REFERENCES users(id) ON DELETE SET NULL,
    approved_at      TIMESTAMPTZ,
    decided_at       TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT investor_requests_status_check CHECK (status IN ('pending', 'approved', 'rejected')),
    CONSTRAINT investor_requests_company_length CHECK (char_length(btrim(company_name)) BETWEEN 1 AND 120),
    CONSTRAINT investor_requests_focus_length CHECK (char_length(investment_focus) <= 200),
    CONSTRAINT investor_requests_ticket_length CHECK (char_length(ticket_size) <= 60),
    CONSTRAINT investor_requests_urls_length CHECK (char_length(portfolio_url) <= 500 AND char_length(linkedin_url) <= 500),
    CONSTRAINT investor_requests_approved_at CHECK ((status = 'approved') = (approved_at IS NOT NULL))
);
-- One open (pending or approved) application per user; a rejected one may be followed by a new one.
CREATE UNIQUE INDEX investor_requests_one_open_key ON investor_requests (user_id) WHERE status IN ('pending', 'approved');
CREATE INDEX idx_investor_requests_status ON investor_requests (status, created_at DESC);
CREATE INDEX idx_investor_requests_user ON investor_requests (user_id);

CREATE TABLE intro_requests (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    investor_id  UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    builder_id   UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    project_id   UUID REFERENCES projects(id) ON DELETE SET NULL,
    message      TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'pending',
    responded_at TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT intro_requests_status_check CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
    CONSTRAINT intro_requests_not_self CHECK (investor_id <> builder_id),
    CONSTRAINT intro_requests_message_length CHECK (char_length(message) <= 2000)
);
-- At most one pending request per investor/builder pair.
CREATE UNIQUE INDEX intro_requests_one_pending_key ON intro_requests (investor_id, builder_id) WHERE status = 'pending';
CREATE INDEX idx_intro_requests_builder_status ON intro_requests (builder_id, status, created_at DESC);
CREATE INDEX idx_intro_requests_investor ON intro_requests (investor_id, created_at DESC);

-- Feedback and reports: the admin moderation queue.
CREATE TABLE reports (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    reporter_id  UUID REFERENCES users(id) ON DELETE SET NULL,
    target_type  TEXT NOT NULL,
    target_id    UUID,
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open',
    resolved_by  UUID REFERENCES users(id) ON DELETE SET NULL,
    resolved_at  TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT reports_target_type_check CHECK (target_type IN ('project', 'comment', 'user', 'chain_post', 'feedback')),
    CONSTRAINT reports_target_required CHECK (target_type = 'feedback' OR target_id IS NOT NULL),
    CONSTRAINT reports_reason_length CHECK (char_length(btrim(reason)) BETWEEN 1 AND 2000),
    CONSTRAINT reports_status_check CHECK (status IN ('open', 'resolved', 'dismissed')),
    CONSTRAINT reports_resolution CHECK ((status = 'open') = (resolved_at IS NULL))
);
CREATE INDEX idx_reports_status ON reports (status, created_at DESC);
CREATE INDEX idx_reports_target ON reports (target_type, target_id);
