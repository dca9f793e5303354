"""FinOps report: billing totals, cost trend, top movers and savings, as Markdown, HTML and Slack."""
