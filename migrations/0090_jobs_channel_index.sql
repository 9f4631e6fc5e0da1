-- Settings → Channels (issue 19) shows each channel's last success and last error: one
-- index lookup per channel instead of a scan of the whole outbox.
CREATE INDEX ix_jobs_channel_updated ON jobs (channel, updated_at);
