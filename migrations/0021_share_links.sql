-- Share links (issue 13): a public link may end, may take a limited number of responses,
-- and may put its answers on a checkpoint of the journey.
ALTER TABLE public_links ADD COLUMN expires_at TEXT;
ALTER TABLE public_links ADD COLUMN max_responses INTEGER;
ALTER TABLE public_links ADD COLUMN checkpoint_key TEXT;
