"""The runbook library (Markdown with front matter), served at a stable URL for runbook_url."""
