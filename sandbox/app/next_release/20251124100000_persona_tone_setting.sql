-- Persona tone: the tone a twin answers in when its owner chose one (NULL: the deploy's
-- PERSONA_TONE_DEFAULT). The next release's only schema change; nothing reads it yet.
ALTER TABLE twins ADD COLUMN persona_tone text;

ALTER TABLE twins ADD CONSTRAINT twins_persona_tone_check
    CHECK (persona_tone IS NULL OR persona_tone IN ('warm', 'neutral', 'formal'));
