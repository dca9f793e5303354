"""HTML of the report pages: an incident with its triage reports, and a "not found" page.

Every value is escaped (Jinja2 autoescape); the triage report's Markdown is rendered by markdown-it with
raw HTML disabled, so text from an alert or a log line cannot inject markup. The pages are
self-contained (inline CSS, no script, no external resource).
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

_MD = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:960px;
color:#1d2433;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #dde3ea}
.status{display:inline-block;padding:.15rem .6rem;border-radius:1rem;font-weight:600;color:#fff}
.status-triaging{background:#b7791f}.status-open{background:#c53030}.status-resolved{background:#2f855a}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #dde3ea;padding:.25rem .6rem;
text-align:left;vertical-align:top}code,pre{background:#f4f6f8;border-radius:4px}pre{padding:.6rem;
overflow-x:auto}.muted{color:#5c6b7a}.report{border:1px solid #dde3ea;border-radius:8px;padding:0 1rem;
margin:1rem 0}
"""

_INCIDENT = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
{% if incident.status == "triaging" %}<meta http-equiv="refresh" content="10">{% endif %}
<title>{{ incident.alertname }} — incident {{ incident.id }}</title><style>{{ css }}</style></head>
<body>
<p class="muted">Referent · incident <code>{{ incident.id }}</code></p>
<h1>{{ incident.alertname }}</h1>
<p><span class="status status-{{ incident.status }}" id="status">{{ incident.status }}</span>
 severity <strong>{{ incident.severity }}</strong> · source {{ incident.source }}
 · started {{ incident.starts_at or "–" }}{% if incident.ends_at %} · ended {{ incident.ends_at }}{% endif %}</p>
<h2>Alert</h2>
<table id="labels"><tr><th>Label / annotation</th><th>Value</th></tr>
{% for k, v in incident.labels.items() %}<tr><td>{{ k }}</td><td>{{ v }}</td></tr>{% endfor %}
{% for k, v in incident.annotations.items() %}<tr><td>{{ k }}</td><td>{{ v }}</td></tr>{% endfor %}
</table>
<h2>Triage</h2>
{% if not reports %}<p id="no-report">Triage is running; this page refreshes every 10 seconds.</p>{% endif %}
{% for r in reports %}<section class="report" id="report-{{ loop.index }}">
<p class="muted">Report <code>{{ r.id }}</code> · {{ r.created_at }}</p>
{{ r.html }}
{% if r.evidence %}<h3>Evidence</h3><table class="evidence"><tr><th>Id</th><th>Source</th><th>Query</th>
<th>Summary</th></tr>{% for e in r.evidence %}<tr><td>{{ e.id }}</td><td>{{ e.source }}</td>
<td><code>{{ e.query }}</code></td><td>{{ e.summary }}</td></tr>{% endfor %}</table>{% endif %}
</section>{% endfor %}
</body></html>
"""

_NOT_FOUND = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Not found — Referent</title><style>{{ css }}</style>
</head><body><h1>Not found</h1><p>{{ what }}</p></body></html>
"""

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_INCIDENT_T = _ENV.from_string(_INCIDENT)
_NOT_FOUND_T = _ENV.from_string(_NOT_FOUND)


def markdown_html(text: str) -> Markup:
    """Markdown to HTML with raw HTML escaped (safe to embed)."""
    return Markup(_MD.render(text))  # markdown-it with html=False escapes raw HTML


def _triage_section(stored: Any) -> dict[str, Any]:
    """A stored triage report as the page shows it: its Markdown rendered, and its evidence."""
    from agents.triage import TriageReport
    from agents.triage.render import to_markdown

    report = TriageReport.model_validate_json(stored.body_json)
    return {
        "id": stored.id,
        "created_at": stored.created_at,
        "html": markdown_html(stored.markdown or to_markdown(report)),
        "evidence": report.evidence,
    }


def incident_page(incident: Any, stored_reports: list[Any]) -> str:
    """The incident's page: status, alert labels and annotations, every triage report with its evidence."""
    reports = [_triage_section(s) for s in stored_reports]
    return _INCIDENT_T.render(incident=incident, reports=reports, css=Markup(_CSS))


def not_found_page(what: str) -> str:
    return _NOT_FOUND_T.render(what=what, css=Markup(_CSS))
